#!/usr/bin/python3
"""Write the authors' Glow as a Lightning checkpoint, with reference outputs, for the C++ tests.

    /usr/bin/python3 make_authors_checkpoint.py OUTDIR [--size tiny] [--shape H W S] [--batch B]
        [--d 32] [--hidden 64] [--blocks 4] [--pool 3 3 2 | --no-pool] [--bare] [--seed S]

OUTDIR/model.ckpt     torch.save of what Lightning's save_checkpoint writes: state_dict (keys
                      descriptor_model.* and glow_blocks.*), hyper_parameters (the authors' Glow
                      arguments), epoch, global_step, pytorch-lightning_version, optimizer_states
                      (AdamW's, with tensors), lr_schedulers, callbacks, loops, hparams_name;
                      --bare: torch.save(module.state_dict()) only
OUTDIR/image.npy      (B, 1, H, W, S) ~ U[0, 1]
OUTDIR/descriptors.npy (B, d, H, W, S) = descriptor_model(image)
OUTDIR/nll.npy        (B, 1, H', W', S') = the authors' forward(image), a channel axis added
"""
import argparse
import json
import os
import random
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import authors_reference as authors  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("outdir")
    p.add_argument("--size", default="tiny")
    p.add_argument("--shape", type=int, nargs=3, default=[32, 32, 32])
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--d", type=int, default=32)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--blocks", type=int, default=4)
    p.add_argument("--pool", type=int, nargs=3, default=[3, 3, 2])
    p.add_argument("--no-pool", action="store_true")
    p.add_argument("--bare", action="store_true", help="a bare state_dict, not a Lightning checkpoint")
    p.add_argument("--seed", type=int, default=None)
    a = p.parse_args(argv)
    torch.set_num_threads(2)
    seed = a.seed if a.seed is not None else random.SystemRandom().randrange(2 ** 31)
    torch.manual_seed(seed)
    hp = dict(mode="3d", descriptor_model_path=None, in_channels=1, descriptor_dim=a.d, avg_pool=not a.no_pool,
              avg_pool_kernel_size=tuple(a.pool), avg_pool_stride=tuple(a.pool), avg_pool_padding=0, sigma=0.1,
              glow_hidden_dim=a.hidden, glow_depth=a.blocks, crop_size=(96, 96, 64), sw_batch_size=4, lr=3e-4,
              weight_decay=1e-6)
    model = authors.AuthorsGlow(a.size, 1, a.d, not a.no_pool, tuple(a.pool), tuple(a.pool), 0, a.hidden, a.blocks)
    g = torch.Generator().manual_seed(seed)
    authors.randomize_authors_(model, g)
    model.eval()
    os.makedirs(a.outdir, exist_ok=True)
    sd = model.state_dict()
    if a.bare:
        torch.save(sd, os.path.join(a.outdir, "model.ckpt"))
    else:
        params = [q for q in model.glow_blocks.parameters()]
        opt_state = {i: {"step": torch.tensor(1200.0), "exp_avg": torch.randn(q.shape, generator=g) * 1e-3,
                         "exp_avg_sq": torch.rand(q.shape, generator=g) * 1e-6} for i, q in enumerate(params[:6])}
        checkpoint = {
            "epoch": 11, "global_step": 1200, "pytorch-lightning_version": "2.1.3",
            "state_dict": sd,
            "loops": {"fit_loop": {"state_dict": {}, "epoch_loop.state_dict": {"_batches_that_stepped": 1200},
                                   "epoch_progress": {"total": {"ready": 12, "started": 12, "processed": 11,
                                                                "completed": 11}, "current": None}}},
            "callbacks": {"ModelCheckpoint{'monitor': None, 'mode': 'min', 'every_n_train_steps': 0}": {
                "monitor": None, "best_model_score": None, "best_model_path": "", "current_score": None,
                "dirpath": "/checkpoints", "best_k_models": {}, "kth_best_model_path": "",
                "kth_value": torch.tensor(float("inf")), "last_model_path": ""}},
            "optimizer_states": [{"state": opt_state, "param_groups": [{
                "lr": 3e-4, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 1e-6, "amsgrad": False,
                "maximize": False, "foreach": None, "capturable": False, "differentiable": False,
                "fused": None, "params": list(range(len(params)))}]}],
            "lr_schedulers": [{"base_lrs": [3e-4], "last_epoch": 1200, "_step_count": 1201, "verbose": False,
                               "_last_lr": [2.9e-4], "lr_lambdas": [None]}],
            "hparams_name": "kwargs",
            "hyper_parameters": hp,
        }
        torch.save(checkpoint, os.path.join(a.outdir, "model.ckpt"))
    B = a.batch
    image = torch.rand((B, 1, *a.shape), generator=g)
    with torch.no_grad():
        y = model.descriptor_model(image)
        nll = model.nll_of_descriptors(y).unsqueeze(1)
        assert torch.allclose(nll[:, 0], model(image))
    for name, t in (("image", image), ("descriptors", y), ("nll", nll)):
        np.save(os.path.join(a.outdir, name + ".npy"), np.ascontiguousarray(t.numpy(), dtype=np.float32))
    print(json.dumps({"seed": seed, "nll_shape": list(nll.shape), "nll_mean": float(nll.mean()),
                      "nll_std": float(nll.std()), "finite": bool(torch.isfinite(nll).all())}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
