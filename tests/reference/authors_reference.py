"""The authors' Glow LightningModule, by its module names (SPEC section 5): what their
checkpoints hold, for the C++ loaders' tests. Written from the published layout
(glow_blocks.{k}.actnorm / inv_linear / affine_coupling.mlp, descriptor under
descriptor_model.) and SPEC section 5's maths; no Lightning needed: a checkpoint is written the
way Lightning's trainer.save_checkpoint lays it out (make_authors_checkpoint.py).

Differences from screener_reference.Glow, all in names and shapes only:
  actnorm.loc / log_scale  (D,)            ours (1, D, 1, 1, 1)
  inv_linear.weight        (D, D, 1, 1, 1) ours invconv.weight (D, D); applied as conv3d(x, W),
                                           i.e. x -> W x per voxel, as ours
  affine_coupling.mlp.{0,2,4}              ours coupling.net.{0,2,4}; output split s_logit | t
  forward(image) -> (B, H', W', S') NLL    ours nll_map -> (B, 1, H', W', S')
"""
import math
from typing import Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

import screener_reference as ref


class AuthorsActNorm(nn.Module):
    def __init__(self, D: int):
        super().__init__()
        self.loc = nn.Parameter(torch.zeros(D))
        self.log_scale = nn.Parameter(torch.zeros(D))
        self.register_buffer("initialized", torch.tensor(0, dtype=torch.uint8))

    def forward(self, x):
        shape = (1, -1, 1, 1, 1)
        return (x + self.loc.view(shape)) * self.log_scale.view(shape).exp(), self.log_scale.sum()


class AuthorsInvLinear(nn.Module):
    def __init__(self, D: int):
        super().__init__()
        self.weight = nn.Parameter(torch.linalg.qr(torch.randn(D, D))[0].reshape(D, D, 1, 1, 1))

    def forward(self, x):
        D = self.weight.shape[0]
        logdet = torch.linalg.slogdet(self.weight.reshape(D, D).double())[1].to(x.dtype)
        return F.conv3d(x, self.weight), logdet


class AuthorsAffineCoupling(nn.Module):
    def __init__(self, D: int, hidden: int):
        super().__init__()
        self.half = D // 2
        self.mlp = nn.Sequential(nn.Conv3d(self.half, hidden, 1), nn.ReLU(), nn.Conv3d(hidden, hidden, 1),
                                 nn.ReLU(), nn.Conv3d(hidden, 2 * (D - self.half), 1))

    def forward(self, x):
        x1, x2 = x[:, : self.half], x[:, self.half:]
        s_logit, t = torch.chunk(self.mlp(x1), 2, dim=1)
        z = s_logit + 2.0
        return torch.cat([x1, (x2 + t) * torch.sigmoid(z)], 1), F.logsigmoid(z).sum(1)


class AuthorsGlowBlock(nn.Module):
    def __init__(self, D: int, hidden: int):
        super().__init__()
        self.actnorm = AuthorsActNorm(D)
        self.inv_linear = AuthorsInvLinear(D)
        self.affine_coupling = AuthorsAffineCoupling(D, hidden)

    def forward(self, x):
        x, a = self.actnorm(x)
        x, b = self.inv_linear(x)
        x, c = self.affine_coupling(x)
        return x, a + b + c


def _triple(v: Union[int, Sequence[int]]):
    return tuple(v) if isinstance(v, (list, tuple)) else (v, v, v)


class AuthorsGlow(nn.Module):
    """descriptor_model (the UNet + head: keys unet.*, convs.*) and glow_blocks; forward(image) is the
    NLL map (B, H', W', S') in nats of the (optionally average-pooled) descriptors."""

    def __init__(self, size: str = "base", in_channels: int = 1, descriptor_dim: int = 32, avg_pool: bool = True,
                 avg_pool_kernel_size=(3, 3, 2), avg_pool_stride=(3, 3, 2), avg_pool_padding=0,
                 glow_hidden_dim: int = 512, glow_depth: int = 64):
        super().__init__()
        self.descriptor_model = ref.Descriptor(size, in_channels, descriptor_dim)
        self.glow_blocks = nn.ModuleList([AuthorsGlowBlock(descriptor_dim, glow_hidden_dim) for _ in range(glow_depth)])
        self.D = descriptor_dim
        self.pool = (avg_pool, _triple(avg_pool_kernel_size), _triple(avg_pool_stride), _triple(avg_pool_padding))

    def pooled(self, y: torch.Tensor) -> torch.Tensor:
        on, kernel, stride, padding = self.pool
        return F.avg_pool3d(y, kernel, stride, padding) if on else y

    def nll_of_descriptors(self, y: torch.Tensor) -> torch.Tensor:
        x = self.pooled(y)
        logdet = 0.0
        for block in self.glow_blocks:
            x, ld = block(x)
            logdet = logdet + ld
        return 0.5 * x.pow(2).sum(1) + 0.5 * self.D * math.log(2 * math.pi) - logdet

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.nll_of_descriptors(self.descriptor_model(image))


@torch.no_grad()
def randomize_authors_(model: AuthorsGlow, g: torch.Generator) -> AuthorsGlow:
    """ref.randomize_ for the descriptor; the flow as ref.randomize_ fills ours (ActNorm N(0, 0.1^2) and
    initialized = 1, a random orthogonal, non-symmetric W, coupling weights by fan-in, the last small)."""
    ref.randomize_(model.descriptor_model, g)
    for block in model.glow_blocks:
        a = block.actnorm
        a.loc.copy_(ref._normal(a.loc.shape, 0.1, g))
        a.log_scale.copy_(ref._normal(a.log_scale.shape, 0.1, g))
        a.initialized.fill_(1)
        D = block.inv_linear.weight.shape[0]
        q, r = torch.linalg.qr(torch.randn(D, D, generator=g, dtype=torch.float64))
        q = q * torch.sign(torch.diagonal(r))[None, :]
        block.inv_linear.weight.copy_(q.float().reshape(D, D, 1, 1, 1))
        for i, conv in enumerate((block.affine_coupling.mlp[0], block.affine_coupling.mlp[2], block.affine_coupling.mlp[4])):
            gain = 2.0 if i < 2 else 0.05
            conv.weight.copy_(ref._normal(conv.weight.shape, math.sqrt(gain / ref._fan_in(conv.weight)), g))
            conv.bias.copy_(ref._normal(conv.bias.shape, 0.05 if i < 2 else 0.02, g))
    return model
