"""PyTorch oracle of the AnatPaste voxel classifier (plugins/anatpaste, plugins/anatpaste_trainer).

    /usr/bin/python3 anatpaste_reference.py step OUTDIR --seed S [--size micro] [--shape H W S] [--batch B]
        [--lr LR] [--weight-decay WD] [--clip C]
    writes state_dict.pt (a random classifier: screener_reference.Descriptor with one output
    channel, the layout `screener train anatpaste` writes), input.npy (B, 1, H, W, S), target.npy
    (blobs of 1 on 0), logits.npy (its forward pass), loss.json (mean binary cross-entropy with
    logits), grads.pt (the clipped gradients) and after.pt: the state_dict after one training
    step as the trainer takes it (backward, torch.nn.utils.clip_grad_norm_, torch.optim.AdamW at lr).
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import screener_reference as ref  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=("step",))
    p.add_argument("outdir")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--size", default="micro", choices=sorted(ref.SIZES))
    p.add_argument("--shape", type=int, nargs=3, default=[32, 32, 32])
    p.add_argument("--batch", type=int, default=2)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--weight-decay", type=float, default=1e-2)
    p.add_argument("--clip", type=float, default=1.0)
    a = p.parse_args(argv)
    torch.set_num_threads(2)
    torch.manual_seed(a.seed)
    g = torch.Generator().manual_seed(a.seed)
    model = ref.Descriptor(a.size, 1, 1)
    ref.randomize_(model, g)
    os.makedirs(a.outdir, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(a.outdir, "state_dict.pt"))
    x = torch.rand((a.batch, 1, *a.shape), generator=g)
    # Blobs: smoothed noise thresholded, so that both classes are present.
    t = F.avg_pool3d(torch.rand((a.batch, 1, *a.shape), generator=g), 5, stride=1, padding=2) > 0.53
    target = t.float()
    logits = model(x)
    loss = F.binary_cross_entropy_with_logits(logits, target)
    np.save(os.path.join(a.outdir, "input.npy"), x.numpy())
    np.save(os.path.join(a.outdir, "target.npy"), target.numpy())
    np.save(os.path.join(a.outdir, "logits.npy"), logits.detach().numpy())
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=a.weight_decay)
    opt.zero_grad()
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), a.clip)
    torch.save({k: p.grad for k, p in model.named_parameters() if p.grad is not None},
               os.path.join(a.outdir, "grads.pt"))
    opt.step()
    torch.save(model.state_dict(), os.path.join(a.outdir, "after.pt"))
    json.dump({"loss": loss.item(), "grad_norm": float(norm), "positives": float(target.mean())},
              open(os.path.join(a.outdir, "loss.json"), "w"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
