"""count_conv_flops.py SIZE H W S OUT: convolution FLOPs of the reference UNet
on one (1, 1, H, W, S) input, counted with forward hooks (attention blocks,
whose output the official model discards, left out). Writes the number to OUT."""
import sys

import torch

sys.path.insert(0, __file__.rsplit("/", 3)[0] + "/../tests/reference")
from screener_reference import Descriptor  # noqa: E402

size, h, w, s, out = sys.argv[1], *map(int, sys.argv[2:5]), sys.argv[5]
model = Descriptor(size=size).eval()
total = 0


def count(module, inputs, output):
    global total
    taps = module.weight[0, 0].numel()
    total += 2 * output.numel() * module.in_channels * taps


for name, module in model.named_modules():
    if isinstance(module, torch.nn.Conv3d) and ".attn" not in "." + name:
        module.register_forward_hook(count)
with torch.no_grad():
    model(torch.rand(1, 1, h, w, s))
open(out, "w").write(f"{total}\n")
