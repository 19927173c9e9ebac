"""The verdicts of compare_loss_curves.py on made-up loss logs (CTest
compare_loss_curves): equal and nearly equal curves pass, a curve off by more
than the tolerance, a shorter one or a NaN fail, and a curve through zero is
judged against 1% of its largest value, not its smallest."""
import pathlib
import subprocess
import sys
import tempfile

script = pathlib.Path(__file__).with_name("compare_loss_curves.py")
tmp = pathlib.Path(tempfile.mkdtemp())


def log(name, losses):
    path = tmp / f"{name}.csv"
    path.write_text("step,lr,loss\n" + "".join(f"{i},0.001,{v!r}\n" for i, v in enumerate(losses)))
    return path


def verdict(a, b, *extra):
    r = subprocess.run([sys.executable, str(script), "t", str(a), str(b), *extra], capture_output=True, text=True)
    assert r.stdout.startswith("t: PASS" if r.returncode == 0 else "t: FAIL"), r.stdout
    return r.returncode == 0


curve = [20.0 - 0.05 * i for i in range(200)]
ref = log("ref", curve)
assert verdict(ref, ref)
assert verdict(ref, log("close", [v * (1 + 5e-5) for v in curve]))
assert not verdict(ref, log("off", [v * (1 + 2e-4) for v in curve]))
assert verdict(ref, log("off", [v * (1 + 2e-4) for v in curve]), "--rtol", "1e-3")
one_step = list(curve)
one_step[150] *= 1.01
assert not verdict(ref, log("one_step", one_step))
assert not verdict(ref, log("short", curve[:199]))
assert not verdict(ref, log("nan", curve[:-1] + [float("nan")]))
assert not verdict(ref, tmp / "missing.csv")
through_zero = [5.0 - 0.05 * i for i in range(200)]  # 5 ... -4.95, 0 near step 100
assert verdict(log("z", through_zero), log("z2", [v + 1e-6 for v in through_zero]))
assert not verdict(log("z", through_zero), log("z3", [v + 1e-2 for v in through_zero]))
print("compare_loss_curves.py: the verdicts are right")
