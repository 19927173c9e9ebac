#!/usr/bin/python3
"""Write one reference case (random weights, random inputs, reference outputs) for the C++ tests.

    /usr/bin/python3 make_reference_case.py KIND OUTDIR [--size tiny] [--shape H W S] [--batch B]
        [--in-channels N] [--d 32] [--dc 32] [--hidden H] [--blocks K] [--seed S] [--torchscript]
        [--keys-only]

KIND: descriptor | gaussian | conditional_gaussian | glow | conditional_glow.

OUTDIR/state_dict.pt    torch.save(module.state_dict(), path)
descriptor:  OUTDIR/input.npy (B, in, H, W, S) ~ U[0, 1], OUTDIR/output.npy (B, d, H, W, S)
             (--torchscript: also OUTDIR/module.ts, torch.jit.trace of forward at this input shape)
densities:   OUTDIR/descriptors.npy (B, D, H, W, S), OUTDIR/conditions.npy (B, Dc, H, W, S)
             (0.5 * N(0, 1) per voxel + 0.8 * N(0, 1) per 3x3x2 pooling cell + a small offset;
             Dc = 0 for the unconditional kinds unless --dc is given; the file is written anyway),
             OUTDIR/output.npy (B, 1, H//3, W//3, S//2) = nll_map(descriptors, conditions)
All .npy files are float32, C order. A one-line JSON summary goes to stdout.
--keys-only prints every state_dict key with its shape and dtype and writes nothing (OUTDIR may be '-').
"""

import argparse
import json
import os
import random
import sys
import time
import warnings

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import screener_reference as ref  # noqa: E402

KINDS = ("descriptor", "gaussian", "conditional_gaussian", "glow", "conditional_glow")


def density_input(shape, offset, g):
    """0.5 * N(0, 1) per voxel + offset + a component constant over each 3x3x2 pooling cell
    (0.8 * N(0, 1) per cell), so that the pooled maps vary by O(1) from cell to cell."""
    B, C, H, W, S = shape
    ph, pw, ps = ref.DEFAULT_POOL
    cells = torch.randn((B, C, -(-H // ph), -(-W // pw), -(-S // ps)), generator=g) * 0.8
    cells = cells.repeat_interleave(ph, 2).repeat_interleave(pw, 3).repeat_interleave(ps, 4)
    return torch.randn(shape, generator=g) * 0.5 + offset + cells[:, :, :H, :W, :S]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("kind", choices=KINDS)
    p.add_argument("outdir")
    p.add_argument("--size", default="tiny", choices=sorted(ref.SIZES))
    p.add_argument("--shape", type=int, nargs=3, default=[32, 32, 32], metavar=("H", "W", "S"))
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--in-channels", type=int, default=1, help="descriptor input channels (2: condition model)")
    p.add_argument("--mask-ones", action="store_true",
                   help="condition model at inference: input channels after the first are all ones (the mask)")
    p.add_argument("--d", type=int, default=32, help="descriptor channels D")
    p.add_argument("--dc", type=int, default=None,
                   help="condition channels Dc (default 32 for conditional kinds, 0 otherwise)")
    p.add_argument("--hidden", type=int, default=64, help="hidden width of the density subnets")
    p.add_argument("--blocks", type=int, default=4, help="number of flow blocks K")
    p.add_argument("--seed", type=int, default=None, help="default: a fresh random seed (printed)")
    p.add_argument("--torchscript", action="store_true", help="descriptor only: also write module.ts")
    p.add_argument("--keys-only", action="store_true", help="print state_dict keys and shapes, write nothing")
    a = p.parse_args(argv)

    torch.set_num_threads(2)
    conditional = a.kind.startswith("conditional")
    dc = a.dc if a.dc is not None else (32 if conditional else 0)
    if conditional and dc <= 0:
        p.error("conditional kinds need --dc > 0")
    if a.torchscript and a.kind != "descriptor":
        p.error("--torchscript is for the descriptor only")
    seed = a.seed if a.seed is not None else random.SystemRandom().randrange(2 ** 31)

    torch.manual_seed(seed)  # only affects default initialisation, which randomize_ overwrites
    model = ref.build(a.kind, size=a.size, in_channels=a.in_channels, d=a.d, dc=dc,
                      hidden=a.hidden, blocks=a.blocks)
    if a.keys_only:
        for k, v in model.state_dict().items():
            print(f"{k}\t{tuple(v.shape)}\t{str(v.dtype).replace('torch.', '')}")
        return 0

    g = torch.Generator().manual_seed(seed)
    ref.randomize_(model, g)
    model.eval()
    os.makedirs(a.outdir, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(a.outdir, "state_dict.pt"))

    B = a.batch
    H, W, S = a.shape
    summary = {"kind": a.kind, "seed": seed, "batch": B, "shape": [H, W, S], "d": a.d}
    t0 = time.time()
    with torch.no_grad():
        if a.kind == "descriptor":
            x = torch.rand((B, a.in_channels, H, W, S), generator=g)
            if a.mask_ones:
                x[:, 1:] = 1.0
            y = model(x)
            np.save(os.path.join(a.outdir, "input.npy"), np.ascontiguousarray(x.numpy(), dtype=np.float32))
            summary.update(size=a.size, in_channels=a.in_channels, input_shape=list(x.shape))
            if a.torchscript:
                with warnings.catch_warnings():  # match_size's pad branch is never taken for sides % 32 == 0
                    warnings.simplefilter("ignore", torch.jit.TracerWarning)
                    ts = torch.jit.trace(model, (x,), check_trace=False)
                y_ts = ts(x)
                torch.jit.save(ts, os.path.join(a.outdir, "module.ts"))
                summary["torchscript_max_abs_diff"] = float((y_ts - y).abs().max())
        else:
            desc = density_input((B, a.d, H, W, S), 0.1, g)
            cond = density_input((B, dc, H, W, S), -0.1, g)
            y = model.nll_map(desc, cond if dc > 0 else None)
            np.save(os.path.join(a.outdir, "descriptors.npy"), np.ascontiguousarray(desc.numpy(), dtype=np.float32))
            np.save(os.path.join(a.outdir, "conditions.npy"), np.ascontiguousarray(cond.numpy(), dtype=np.float32))
            summary.update(dc=dc, hidden=a.hidden, blocks=a.blocks,
                           descriptors_shape=list(desc.shape), conditions_shape=list(cond.shape))
    elapsed = time.time() - t0
    np.save(os.path.join(a.outdir, "output.npy"), np.ascontiguousarray(y.numpy(), dtype=np.float32))
    summary.update(output_shape=list(y.shape), output_mean=float(y.mean()), output_std=float(y.std()),
                   output_min=float(y.min()), output_max=float(y.max()), seconds=round(elapsed, 3),
                   finite=bool(torch.isfinite(y).all()))
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
