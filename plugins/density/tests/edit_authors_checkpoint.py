"""edit_authors_checkpoint.py IN OUT EDIT: a copy of the authors' Lightning
checkpoint made wrong in one way, to test the density loader's refusals.
EDIT: misshape_and_drop  glow_blocks.1.inv_linear.weight cut to (D, D/2, 1, 1, 1),
                         glow_blocks.2.affine_coupling.mlp.4.bias removed
      depth_mismatch     hyper_parameters.glow_depth one more than the blocks
      padding            hyper_parameters.avg_pool_padding 1"""
import sys

import torch

src, dst, edit = sys.argv[1:4]
ckpt = torch.load(src)
sd, hp = ckpt["state_dict"], ckpt["hyper_parameters"]
if edit == "misshape_and_drop":
    w = sd["glow_blocks.1.inv_linear.weight"]
    sd["glow_blocks.1.inv_linear.weight"] = w[:, : w.shape[1] // 2].clone()
    del sd["glow_blocks.2.affine_coupling.mlp.4.bias"]
elif edit == "depth_mismatch":
    hp["glow_depth"] += 1
elif edit == "padding":
    hp["avg_pool_padding"] = 1
else:
    sys.exit(f"unknown edit {edit}")
torch.save(ckpt, dst)
