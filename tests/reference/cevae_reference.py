"""PyTorch oracle of the ceVAE (plugins/cevae, plugins/cevae_trainer): the
context-encoding VAE of Zimmerer et al. (MIDL 2019; the thesis in
../shared/papers/, §3.2.3), in 3D, as the MOOD example code builds it
(BasicEncoder / BasicGenerator: kernel-4 stride-2 convolutions without bias,
LeakyReLU, a last convolution to a 1×1×1 latent), with our key names.

    /usr/bin/python3 cevae_reference.py case OUTDIR [--widths 4 8] [--latent 16]
        [--roi 32 32 16] [--batch 2] [--beta 0.01] [--ce-factor 0.5] [--sigma 3] [--seed S]
      writes state_dict.pt (randomized module), input.npy (B, 1, roi) in [0, 1],
      rec.npy, kl_grad.npy, combi.npy (B, 1, roi): the three voxel scores;
      noisy.npy (the input with context-encoding boxes), eps.npy (B, latent, 1, 1, 1),
      loss.json (the loss and its terms on them), stepped.pt: the state_dict after
      one torch.optim.AdamW step (lr 1e-3, weight decay 1e-2) on that loss.
    /usr/bin/python3 cevae_reference.py load CHECKPOINT TRAINING_JSON
      builds the module from the trainer's <name>_training.json (widths, latent,
      roi), load_state_dict(strict=True), scores a random patch; prints OK.
"""
import argparse
import json
import math
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class CeVAE(nn.Module):
    """enc.{i}: Conv3d(k 4, s 2, p 1) → LeakyReLU, for each width; enc_out: Conv3d to
    2·latent with the remaining size as kernel (μ, log σ); dec_in: ConvTranspose3d back
    to that size → LeakyReLU; dec.{i}: ConvTranspose3d(k 4, s 2, p 1) → LeakyReLU, widths
    reversed; dec_out: ConvTranspose3d(k 4, s 2, p 1) to one channel. No biases."""

    def __init__(self, widths=(16, 32, 64, 128), latent=128, roi=(32, 32, 32)):
        super().__init__()
        levels = len(widths)
        bottom = [r // 2 ** levels for r in roi]
        assert all(b >= 1 and b * 2 ** levels == r for b, r in zip(bottom, roi)), "roi sides must be multiples of 2^levels"
        self.latent = latent
        self.enc = nn.ModuleList()
        c = 1
        for w in widths:
            self.enc.append(nn.Conv3d(c, w, 4, 2, 1, bias=False))
            c = w
        self.enc_out = nn.Conv3d(c, 2 * latent, bottom, bias=False)
        self.dec_in = nn.ConvTranspose3d(latent, widths[-1], bottom, bias=False)
        self.dec = nn.ModuleList(
            nn.ConvTranspose3d(widths[i], widths[i - 1], 4, 2, 1, bias=False) for i in range(levels - 1, 0, -1))
        self.dec_out = nn.ConvTranspose3d(widths[0], 1, 4, 2, 1, bias=False)

    def encode(self, x):
        for conv in self.enc:
            x = F.leaky_relu(conv(x), 0.01)
        mu, log_std = torch.chunk(self.enc_out(x), 2, dim=1)
        return mu, log_std

    def decode(self, z):
        x = F.leaky_relu(self.dec_in(z), 0.01)
        for conv in self.dec:
            x = F.leaky_relu(conv(x), 0.01)
        return self.dec_out(x)


def kl_per_sample(mu, log_std):
    """KL(N(μ, σ²) ‖ N(0, 1)) averaged over the latent dimensions, per sample
    (torch.distributions.kl_divergence, as the MOOD code's kl_loss_fn)."""
    q = torch.distributions.Normal(mu, torch.exp(log_std))
    return torch.distributions.kl_divergence(q, torch.distributions.Normal(0.0, 1.0)).mean(dim=(1, 2, 3, 4))


def loss_terms(model, x, noisy, eps, beta, ce_factor):
    """x, noisy in the model's range [-1, 1]."""
    mu, log_std = model.encode(x)
    z = mu + torch.exp(log_std) * eps
    kl = kl_per_sample(mu, log_std).mean()
    rec_vae = (model.decode(z) - x).abs().mean()
    mu_noisy, _ = model.encode(noisy)
    rec_ce = (model.decode(mu_noisy) - x).abs().mean()
    loss = (1 - ce_factor) * (beta * kl + rec_vae) + ce_factor * rec_ce
    return loss, kl, rec_vae, rec_ce


def gaussian_smooth(v, sigma):
    if sigma <= 0:
        return v
    r = int(math.ceil(sigma))
    t = torch.arange(-r, r + 1, dtype=torch.float64)
    k = torch.exp(-t ** 2 / (2 * sigma ** 2))
    k = (k / k.sum()).float()
    v = F.conv3d(v, k.view(1, 1, -1, 1, 1), padding=(r, 0, 0))
    v = F.conv3d(v, k.view(1, 1, 1, -1, 1), padding=(0, r, 0))
    return F.conv3d(v, k.view(1, 1, 1, 1, -1), padding=(0, 0, r))


def scores(model, patch, sigma):
    """patch in [0, 1] → rec, kl_grad, combi, each (B, 1, roi)."""
    x = (patch * 2 - 1).detach().requires_grad_(True)
    mu, log_std = model.encode(x)
    kl_per_sample(mu, log_std).sum().backward()
    kl_grad = gaussian_smooth(x.grad.abs(), sigma)
    with torch.no_grad():
        rec = (model.decode(mu) - x).abs()
    return rec.detach(), kl_grad.detach(), (rec * kl_grad).detach()


def randomize_(model, g):
    # He-normal by fan-in (a transposed convolution's fan-in: in_channels·kernel / stride³),
    # so that activations stay O(1) through every level.
    for name, p in model.named_parameters():
        w = p.data
        if isinstance(dict(model.named_modules())[name.rsplit(".", 1)[0]], nn.ConvTranspose3d):
            stride = 8 if w.shape[2] == 4 else 1
            fan = w.shape[0] * w[0, 0].numel() / stride
        else:
            fan = w[0].numel()
        p.data = torch.randn(w.shape, generator=g) * math.sqrt(2.0 / fan)


def case(a):
    torch.set_num_threads(2)
    g = torch.Generator().manual_seed(a.seed)
    model = CeVAE(a.widths, a.latent, a.roi)
    randomize_(model, g)
    # Large log σ would swamp everything: keep the log-σ half of enc_out small.
    with torch.no_grad():
        model.enc_out.weight[a.latent:] *= 0.1
    torch.save(model.state_dict(), f"{a.out}/state_dict.pt")
    B = a.batch
    patch = torch.rand(B, 1, *a.roi, generator=g)
    np.save(f"{a.out}/input.npy", patch.numpy())
    rec, kl_grad, combi = scores(model, patch, a.sigma)
    model.zero_grad()
    for n, v in (("rec", rec), ("kl_grad", kl_grad), ("combi", combi)):
        np.save(f"{a.out}/{n}.npy", v.numpy())
    x = patch * 2 - 1
    noisy = x.clone()
    for b in range(B):  # one box per sample, of a random value
        s = [max(1, r // 3) for r in a.roi]
        o = [int(torch.randint(0, r - si + 1, (1,), generator=g)) for r, si in zip(a.roi, s)]
        noisy[b, :, o[0]:o[0] + s[0], o[1]:o[1] + s[1], o[2]:o[2] + s[2]] = float(torch.rand(1, generator=g)) * 2 - 1
    eps = torch.randn(B, a.latent, 1, 1, 1, generator=g)
    np.save(f"{a.out}/noisy.npy", noisy.numpy())
    np.save(f"{a.out}/eps.npy", eps.numpy())
    loss, kl, rec_vae, rec_ce = loss_terms(model, x, noisy, eps, a.beta, a.ce_factor)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2)
    opt.zero_grad()
    loss.backward()
    opt.step()
    torch.save(model.state_dict(), f"{a.out}/stepped.pt")
    json.dump({"loss": loss.item(), "kl": kl.item(), "rec_vae": rec_vae.item(), "rec_ce": rec_ce.item(),
               "seed": a.seed}, open(f"{a.out}/loss.json", "w"), indent=1)
    print(json.dumps({"seed": a.seed, "loss": loss.item()}))


def load(checkpoint, training_json):
    about = json.load(open(training_json))
    model = CeVAE(about["widths"], about["latent"], about["roi"])
    model.load_state_dict(torch.load(checkpoint, map_location="cpu"), strict=True)
    model.float()
    rec, kl_grad, combi = scores(model, torch.rand(1, 1, *about["roi"]), 3.0)
    assert torch.isfinite(combi).all()
    print("OK", sum(p.numel() for p in model.parameters()), "parameters")


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=("case", "load"))
    p.add_argument("out")
    p.add_argument("about", nargs="?")
    p.add_argument("--widths", type=int, nargs="+", default=[4, 8])
    p.add_argument("--latent", type=int, default=16)
    p.add_argument("--roi", type=int, nargs=3, default=[32, 32, 16])
    p.add_argument("--batch", type=int, default=2)
    p.add_argument("--beta", type=float, default=0.01)
    p.add_argument("--ce-factor", type=float, default=0.5)
    p.add_argument("--sigma", type=float, default=3.0)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    if a.mode == "case":
        case(a)
    else:
        load(a.out, a.about)
    return 0


if __name__ == "__main__":
    sys.exit(main())
