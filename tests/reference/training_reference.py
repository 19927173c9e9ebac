"""PyTorch oracle of the training pieces (plugins/ssl_trainer, torch_support/training).

    /usr/bin/python3 training_reference.py losses OUTDIR --seed S
        writes z1.npy, z2.npy (n × D) and losses.json: VICReg (the formula of Bardes et
        al.'s reference code) and symmetric InfoNCE (F.cross_entropy) on them.
    /usr/bin/python3 training_reference.py adamw OUTDIR --seed S
        writes p0.npy, g0.npy, g1.npy, g2.npy and p3.npy: the parameter after three
        torch.optim.AdamW steps (lr 1e-2, weight decay 0.1) with those gradients.
    /usr/bin/python3 training_reference.py load FILE OUT.json
        torch.load()s a state_dict written by the C++ code; lists keys, shapes, sums.
"""
import argparse
import json
import sys

import numpy as np
import torch
import torch.nn.functional as F


def vicreg(x, y, inv=25.0, var=25.0, cov=1.0):
    n, d = x.shape
    repr_loss = F.mse_loss(x, y)
    x = x - x.mean(dim=0)
    y = y - y.mean(dim=0)
    std_x = torch.sqrt(x.var(dim=0) + 0.0001)
    std_y = torch.sqrt(y.var(dim=0) + 0.0001)
    std_loss = torch.mean(F.relu(1 - std_x)) / 2 + torch.mean(F.relu(1 - std_y)) / 2
    cov_x = (x.T @ x) / (n - 1)
    cov_y = (y.T @ y) / (n - 1)

    def off_diagonal(m):
        return m.flatten()[:-1].view(d - 1, d + 1)[:, 1:].flatten()

    cov_loss = off_diagonal(cov_x).pow(2).sum() / d + off_diagonal(cov_y).pow(2).sum() / d
    total = inv * repr_loss + var * std_loss + cov * cov_loss
    return {"total": total.item(), "invariance": repr_loss.item(), "variance": std_loss.item(),
            "covariance": cov_loss.item()}


def infonce(x, y, t):
    a, b = F.normalize(x, dim=1), F.normalize(y, dim=1)
    logits = a @ b.T / t
    target = torch.arange(x.shape[0])
    return ((F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)) / 2).item()


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=("losses", "adamw", "load"))
    p.add_argument("path")
    p.add_argument("out", nargs="?")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    g = torch.Generator().manual_seed(a.seed)
    if a.mode == "losses":
        z1 = torch.randn(200, 16, generator=g, dtype=torch.float64)
        z2 = 0.7 * z1 + 0.5 * torch.randn(200, 16, generator=g, dtype=torch.float64)
        z2[:, 3] *= 0.2  # a collapsing channel: the variance term is not zero
        np.save(f"{a.path}/z1.npy", z1.numpy())
        np.save(f"{a.path}/z2.npy", z2.numpy())
        out = {"vicreg": vicreg(z1, z2), "infonce_0.1": infonce(z1, z2, 0.1), "infonce_0.5": infonce(z1, z2, 0.5)}
        json.dump(out, open(f"{a.path}/losses.json", "w"), indent=1)
    elif a.mode == "adamw":
        p0 = torch.randn(5, 7, generator=g, dtype=torch.float64)
        grads = [torch.randn(5, 7, generator=g, dtype=torch.float64) for _ in range(3)]
        w = p0.clone().requires_grad_(True)
        opt = torch.optim.AdamW([w], lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1)
        for gr in grads:
            w.grad = gr.clone()
            opt.step()
        np.save(f"{a.path}/p0.npy", p0.numpy())
        for i, gr in enumerate(grads):
            np.save(f"{a.path}/g{i}.npy", gr.numpy())
        np.save(f"{a.path}/p3.npy", w.detach().numpy())
    else:
        sd = torch.load(a.path, map_location="cpu")
        out = {k: {"shape": list(v.shape), "dtype": str(v.dtype), "sum": float(v.double().sum())} for k, v in sd.items()}
        json.dump(out, open(a.out, "w"), indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
