"""make_checkpoints.py OUTDIR: torch.save files of the shapes a state_dict
reader meets, plus expected.npz with every tensor each should yield."""
import collections
import os
import sys

import numpy as np
import torch

out = sys.argv[1]
g = torch.Generator().manual_seed(int.from_bytes(os.urandom(4), "little"))
expected = {}


def save(name, obj, tensors):
    torch.save(obj, os.path.join(out, name + ".pt"))
    for k, t in tensors.items():
        expected[f"{name}/{k}"] = t.detach().to(torch.float32).contiguous().numpy()


model = torch.nn.Sequential(torch.nn.Conv3d(2, 4, 3), torch.nn.GroupNorm(2, 4), torch.nn.Linear(5, 3))
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.randn(p.shape, generator=g))
sd = model.state_dict()  # an OrderedDict with _metadata, as users save it
save("ordered", sd, sd)
save("plain", dict(sd), sd)
save("training", {"epoch": 7, "lr": 3e-4, "state_dict": sd, "note": "x", "flags": [True, None]}, sd)
base = torch.randn(6, 8, generator=g)
mixed = collections.OrderedDict(
    view_t=base.t(),                      # non-contiguous, shares a storage
    view_slice=base[2:5, 1:7],            # storage offset
    half=torch.randn(3, 4, generator=g).half(),
    int64=torch.arange(-5, 5),
    uint8=torch.arange(0, 250, 10, dtype=torch.uint8),
    big=torch.randn(300, 257, generator=g),  # forces LONG_BINPUT memo entries
    param=torch.nn.Parameter(torch.randn(4, generator=g)),
    scalar=torch.tensor(1, dtype=torch.uint8),
)
for i in range(300):  # more than 256 memo entries
    mixed[f"many.{i}"] = torch.full((2,), float(i))
save("mixed", mixed, mixed)
torch.save({"w": torch.zeros(2), "obj": torch.nn.ReLU()}, os.path.join(out, "module_object.pt"))
np.savez(os.path.join(out, "expected.npz"), **expected)
