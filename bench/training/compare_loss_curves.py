"""compare_loss_curves.py NAME REFERENCE_CSV OTHER_CSV [--rtol R] [--column loss]:
whether two trainings from the same seed (a CPU run and a CUDA run, say)
followed the same loss curve: for every step, |a - b| / max(|a|, |b|, floor)
<= R (default 1e-4), floor being 1% of the reference curve's largest |loss| (a curve that
crosses zero, as a negative log-likelihood may, is not judged by its smallest
values). Prints one line, "NAME: PASS ..." or "NAME: FAIL ...", and exits 0 or 1.
Plain Python (no numpy): it runs with whichever python3 a machine has."""
import argparse
import csv
import math
import sys


def curve(path, column):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or column not in rows[0]:
        raise ValueError(f"{path}: no '{column}' column or no rows")
    return [int(r["step"]) for r in rows], [float(r[column]) for r in rows]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("name")
    p.add_argument("reference")
    p.add_argument("other")
    p.add_argument("--rtol", type=float, default=1e-4)
    p.add_argument("--column", default="loss")
    a = p.parse_args()
    try:
        steps_a, ref = curve(a.reference, a.column)
        steps_b, other = curve(a.other, a.column)
    except (OSError, ValueError) as e:
        print(f"{a.name}: FAIL ({e})")
        return 1
    if steps_a != steps_b:
        print(f"{a.name}: FAIL (different steps: {len(steps_a)} rows against {len(steps_b)})")
        return 1
    if not all(math.isfinite(v) for v in ref + other):
        print(f"{a.name}: FAIL (a loss is not finite)")
        return 1
    floor = 0.01 * max(abs(v) for v in ref) or 1e-30
    rel = [abs(x - y) / max(abs(x), abs(y), floor) for x, y in zip(ref, other)]
    worst = max(range(len(rel)), key=rel.__getitem__)
    tail = rel[-max(1, len(rel) // 10):]
    verdict = "PASS" if rel[worst] <= a.rtol else "FAIL"
    print(f"{a.name}: {verdict} ({len(rel)} steps, loss {ref[0]:.6g} -> {ref[-1]:.6g} (reference) / "
          f"{other[0]:.6g} -> {other[-1]:.6g}; relative difference: first step {rel[0]:.2e}, "
          f"largest {rel[worst]:.2e} at step {steps_a[worst]}, mean of the last 10% {sum(tail) / len(tail):.2e}; "
          f"tolerance {a.rtol:g})")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
