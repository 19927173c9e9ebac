"""Independent PyTorch reference ("oracle") for the Screener models.

Built straight from /work/shared/SPEC.md (sections 3-5) and docs/model_checkpoints.md, which fixes
the state_dict key names and shapes and the forward semantics. The C++ LibTorch plugins are tested
against the outputs of these modules (see make_reference_case.py and README.md next to this file).

Modules
-------
Descriptor(size, in_channels, out_channels)      the official 6-level 3D UNet + multi-scale head
GaussianDensity(D)                               diagonal Gaussian (marginal)
ConditionalGaussianDensity(D, Dc, hidden)        mean / log-var predicted from the condition by 3x3x3 convs
Glow(D, blocks, hidden)                          ActNorm -> invertible 1x1x1 conv -> affine coupling
ConditionalGlow(D, Dc, blocks, hidden)           Glow with the condition in every ActNorm and coupling

Every density model has `nll_map(y, c=None, pool=(3, 3, 2))`: y (B, D, H, W, S) and c (B, Dc, H, W, S)
at full resolution are average-pooled with kernel = stride = `pool` (None: no pooling) and the NLL in
nats per pooled voxel, all constants included, is returned with shape (B, 1, h, w, s).

`randomize_(module, generator)` fills every parameter and buffer with random, non-degenerate values for
equivalence tests.

Only torch (1.13) and the standard library are used.
"""

import math
from typing import List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

# ----------------------------------------------------------------------------------------------------
# Descriptor / learned condition: the official UNet (SPEC section 3)
# ----------------------------------------------------------------------------------------------------

SIZES = {
    # size: (widths w0..w5, time-embedding width E)
    "micro": ((8, 16, 24, 32, 32, 32), 128),  # ours, not official: a CPU-sized model
    "tiny": ((8, 16, 32, 64, 128, 256), 512),
    "small": ((12, 24, 48, 96, 192, 384), 768),
    "base": ((16, 32, 64, 128, 256, 512), 1024),
}
BLOCKS_PER_LEVEL = (1, 1, 2, 2, 4, 4)
ATTN_ENCODER_LEVELS = (4, 5)
ATTN_DECODER_LEVELS = (4,)
TIME_FREQS = 128  # 128 cos + 128 sin = 256 inputs of time_embed.proj.0
TIME_T = 1.0      # the network is always called with t = 1.0


def num_groups(channels: int) -> int:
    """GroupNorm groups: min(C // 4, 32)."""
    return max(min(channels // 4, 32), 1)


def timestep_embedding(t: float = TIME_T, n_freqs: int = TIME_FREQS) -> torch.Tensor:
    """emb = [cos(1000 t f), sin(1000 t f)], f_k = exp(-ln(1e4) k / n_freqs), k = 0..n_freqs-1.

    Computed in float32, in the order of the diffusion code the official network comes from
    (its weights were trained with exactly these rounded values), shape (1, 2 * n_freqs)."""
    k = torch.arange(n_freqs, dtype=torch.float32)
    f = torch.exp(-math.log(10000.0) * k / n_freqs)
    arg = (1000.0 * t) * f
    return torch.cat([torch.cos(arg), torch.sin(arg)])[None]


def match_size(x: torch.Tensor, size: List[int]) -> torch.Tensor:
    """Crop x (B, C, H, W, S) to `size` (3 ints), then replicate-pad at the far end of each axis."""
    x = x[:, :, : size[0], : size[1], : size[2]]
    ph = size[0] - x.shape[2]
    pw = size[1] - x.shape[3]
    ps = size[2] - x.shape[4]
    if ph > 0 or pw > 0 or ps > 0:
        # F.pad lists the last axis first: (S_lo, S_hi, W_lo, W_hi, H_lo, H_hi)
        x = F.pad(x, [0, ps, 0, pw, 0, ph], mode="replicate")
    return x


class LayerScale(nn.Module):
    def __init__(self, channels: int, init: float = 1e-6):
        super().__init__()
        self.gamma = nn.Parameter(torch.full((channels, 1, 1, 1), init))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gamma


class TimeEmbedding(nn.Module):
    def __init__(self, emb_dim: int):
        super().__init__()
        self.proj = nn.Sequential(nn.Linear(2 * TIME_FREQS, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))

    def forward(self, emb: torch.Tensor) -> torch.Tensor:
        return self.proj(emb)


class ResBlock(nn.Module):
    """h = conv_1(silu(gn_1(x))) + time_embed_proj(temb); h = conv_2(silu(gn_2(h))) * gamma; x + h."""

    def __init__(self, channels: int, emb_dim: int):
        super().__init__()
        self.norm_1 = nn.GroupNorm(num_groups(channels), channels, eps=1e-5)
        self.conv_1 = nn.Conv3d(channels, channels, 3, padding=1)
        self.time_embed_proj = nn.Sequential(nn.SiLU(), nn.Linear(emb_dim, channels))
        self.norm_2 = nn.GroupNorm(num_groups(channels), channels, eps=1e-5)
        self.conv_2 = nn.Conv3d(channels, channels, 3, padding=1)
        self.ls = LayerScale(channels)

    def forward(self, x: torch.Tensor, temb: torch.Tensor) -> torch.Tensor:
        h = self.conv_1(F.silu(self.norm_1(x)))
        h = h + self.time_embed_proj(temb)[:, :, None, None, None]
        h = self.conv_2(F.silu(self.norm_2(h)))
        h = self.ls(h)
        return x + h


class AttnBlock(nn.Module):
    """Single-head spatial self-attention. Present in the checkpoints at levels >= 4; the official
    forward pass computes it and discards its output, so its names and internals are not part of the
    contract (a loader ignores every key with a path component starting with `attn`)."""

    def __init__(self, channels: int):
        super().__init__()
        self.norm = nn.GroupNorm(num_groups(channels), channels, eps=1e-5)
        self.qkv = nn.Conv3d(channels, 3 * channels, 1)
        self.out = nn.Conv3d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c = x.shape[0], x.shape[1]
        qkv = self.qkv(self.norm(x)).reshape(b, 3, c, -1)
        q, k, v = qkv[:, 0], qkv[:, 1], qkv[:, 2]  # (B, C, N)
        attn = torch.softmax(torch.einsum("bcn,bcm->bnm", q, k) / math.sqrt(c), dim=-1)
        h = torch.einsum("bnm,bcm->bcn", attn, v).reshape(x.shape)
        return x + self.out(h)


class Stage(nn.Module):
    def __init__(self, channels: int, n_blocks: int, emb_dim: int, attn: bool):
        super().__init__()
        self.res_blocks = nn.ModuleList([ResBlock(channels, emb_dim) for _ in range(n_blocks)])
        self.has_attn = attn
        if attn:
            self.attn_blocks = nn.ModuleList([AttnBlock(channels)])
        else:
            self.attn_blocks = nn.ModuleList()

    def forward(self, x: torch.Tensor, temb: torch.Tensor) -> torch.Tensor:
        for blk in self.res_blocks:
            x = blk(x, temb)
        for attn in self.attn_blocks:
            _ = attn(x)  # computed, output discarded (as the official code does)
        return x


class UNet(nn.Module):
    def __init__(self, in_channels: int, widths: Tuple[int, ...], emb_dim: int,
                 blocks: Tuple[int, ...] = BLOCKS_PER_LEVEL):
        super().__init__()
        n = len(widths)
        self.stem_conv = nn.Conv3d(in_channels, widths[0], 3, padding=1)
        self.time_embed = TimeEmbedding(emb_dim)
        self.encoder_stages = nn.ModuleList(
            [Stage(widths[l], blocks[l], emb_dim, l in ATTN_ENCODER_LEVELS) for l in range(n)])
        self.down_convs = nn.ModuleList(
            [nn.Conv3d(widths[l], widths[l + 1], 2, stride=2) for l in range(n - 1)])
        self.fuse_convs = nn.ModuleList(
            [nn.Conv3d(widths[l + 1] + widths[l], widths[l], 1) for l in range(n - 1)])
        self.decoder_stages = nn.ModuleList(
            [Stage(widths[l], blocks[l], emb_dim, l in ATTN_DECODER_LEVELS) for l in range(n - 1)])

    def forward(self, x: torch.Tensor) -> List[torch.Tensor]:
        """Returns the pyramid [p_0, ..., p_4, p_5 = bottleneck]."""
        emb = timestep_embedding().to(device=x.device, dtype=x.dtype).expand(x.shape[0], -1)
        temb = self.time_embed(emb)
        x = self.stem_conv(x)
        skips: List[torch.Tensor] = []
        for l, stage in enumerate(self.encoder_stages):
            if l > 0:
                skips.append(x)
                x = self.down_convs[l - 1](x)
            x = stage(x, temb)
        pyramid: List[torch.Tensor] = [x]  # built coarse -> fine, reversed at the end
        n_dec = len(self.decoder_stages)
        for i in range(n_dec):
            l = n_dec - 1 - i
            skip = skips[l]
            u = F.interpolate(x, scale_factor=2.0, mode="nearest")
            u = match_size(u, [skip.shape[2], skip.shape[3], skip.shape[4]])
            x = self.fuse_convs[l](torch.cat([u, skip], dim=1))
            x = self.decoder_stages[l](x, temb)
            pyramid.append(x)
        pyramid.reverse()
        return pyramid


class Descriptor(nn.Module):
    """Descriptor / learned condition network: `unet` + one 1x1x1 conv per pyramid level (`convs`).

    Input (B, in_channels, H, W, S), sides multiples of 32; output (B, out_channels, H, W, S)."""

    def __init__(self, size: str = "base", in_channels: int = 1, out_channels: int = 32):
        super().__init__()
        widths, emb_dim = SIZES[size]
        self.size = size
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.unet = UNet(in_channels, widths, emb_dim)
        self.convs = nn.ModuleList([nn.Conv3d(w, out_channels, 1) for w in widths])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pyr = self.unet(x)
        n = len(self.convs)
        y = self.convs[n - 1](pyr[n - 1])
        for i in range(n - 1):
            l = n - 2 - i
            p = pyr[l]
            y = F.interpolate(y, scale_factor=2.0, mode="trilinear", align_corners=False)
            y = match_size(y, [p.shape[2], p.shape[3], p.shape[4]])
            y = y + self.convs[l](p)
        return y


# ----------------------------------------------------------------------------------------------------
# Density models (SPEC section 5)
# ----------------------------------------------------------------------------------------------------

LOG_2PI = math.log(2.0 * math.pi)
DEFAULT_POOL = (3, 3, 2)


def _pool(x: Optional[torch.Tensor], pool: Optional[Tuple[int, int, int]]) -> Optional[torch.Tensor]:
    if x is None or pool is None:
        return x
    if x.shape[1] == 0:  # avg_pool3d refuses zero channels; compute the pooled shape by hand
        b, _, h, w, s = x.shape
        return x.new_zeros((b, 0, h // pool[0], w // pool[1], s // pool[2]))
    return F.avg_pool3d(x, kernel_size=pool, stride=pool)


class GaussianDensity(nn.Module):
    """nll = 1/2 sum_k (y_k - mean_k)^2 / exp(log_var_k) + 1/2 sum_k log_var_k + (D/2) ln 2 pi."""

    def __init__(self, D: int = 32):
        super().__init__()
        self.D = D
        self.mean = nn.Parameter(torch.zeros(D))
        self.log_var = nn.Parameter(torch.zeros(D))

    def nll_pooled(self, y: torch.Tensor, c: Optional[torch.Tensor] = None) -> torch.Tensor:
        mean = self.mean[None, :, None, None, None]
        log_var = self.log_var[None, :, None, None, None]
        return gaussian_nll(y, mean, log_var)

    def nll_map(self, y, c=None, pool=DEFAULT_POOL):
        return self.nll_pooled(_pool(y, pool), _pool(c, pool))


def gaussian_nll(y: torch.Tensor, mean: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    D = y.shape[1]
    q = (y - mean) ** 2 * torch.exp(-log_var)
    return 0.5 * q.sum(1, keepdim=True) + 0.5 * (log_var.expand_as(y)).sum(1, keepdim=True) \
        + 0.5 * D * LOG_2PI


class ConditionalGaussianDensity(nn.Module):
    """The Gaussian NLL with mean and log_var predicted from the (pooled) condition map by
    Sequential(Conv3d(Dc, H, 3, padding 1), ReLU, Conv3d(H, D, 3, padding 1)) each."""

    def __init__(self, D: int = 32, Dc: int = 32, hidden: int = 64):
        super().__init__()
        self.D, self.Dc, self.hidden = D, Dc, hidden
        self.mean_head = nn.Sequential(nn.Conv3d(Dc, hidden, 3, padding=1), nn.ReLU(),
                                       nn.Conv3d(hidden, D, 3, padding=1))
        self.log_var_head = nn.Sequential(nn.Conv3d(Dc, hidden, 3, padding=1), nn.ReLU(),
                                          nn.Conv3d(hidden, D, 3, padding=1))

    def nll_pooled(self, y: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        return gaussian_nll(y, self.mean_head(c), self.log_var_head(c))

    def nll_map(self, y, c, pool=DEFAULT_POOL):
        return self.nll_pooled(_pool(y, pool), _pool(c, pool))


class ActNorm(nn.Module):
    """x = (x + loc [+ dl]) * exp(log_scale [+ ds]); log-det per voxel sum_D (log_scale [+ ds]).
    With Dc > 0 a Conv3d(Dc, 2D, 1) `cond` predicts [dl, ds] from the condition."""

    def __init__(self, D: int, Dc: int = 0):
        super().__init__()
        self.D = D
        self.loc = nn.Parameter(torch.zeros(1, D, 1, 1, 1))
        self.log_scale = nn.Parameter(torch.zeros(1, D, 1, 1, 1))
        self.register_buffer("initialized", torch.tensor(0, dtype=torch.uint8))
        self.cond = nn.Conv3d(Dc, 2 * D, 1) if Dc > 0 else None

    def forward(self, x: torch.Tensor, c: Optional[torch.Tensor] = None):
        loc, log_scale = self.loc, self.log_scale
        if self.cond is not None:
            dlds = self.cond(c)
            loc = loc + dlds[:, : self.D]
            log_scale = log_scale + dlds[:, self.D:]
        x = (x + loc) * torch.exp(log_scale)
        logdet = log_scale.sum(1, keepdim=True)  # (1 or B, 1, 1 or h, ...)
        return x, logdet


class InvConv(nn.Module):
    """x = W x per voxel (1x1x1 conv); log-det log|det W| via slogdet in float64."""

    def __init__(self, D: int):
        super().__init__()
        self.weight = nn.Parameter(torch.linalg.qr(torch.randn(D, D))[0])

    def forward(self, x: torch.Tensor):
        D = self.weight.shape[0]
        x = F.conv3d(x, self.weight.reshape(D, D, 1, 1, 1))
        logdet = torch.linalg.slogdet(self.weight.double())[1].to(x.dtype)
        return x, logdet


class Coupling(nn.Module):
    """Affine coupling: s_logit, t = net(x1 [, c]) split in halves; s = sigmoid(s_logit + 2);
    x2 = (x2 + t) * s; log-det sum log sigmoid(s_logit + 2)."""

    def __init__(self, D: int, hidden: int, Dc: int = 0):
        super().__init__()
        self.D = D
        h = D // 2
        self.net = nn.Sequential(nn.Conv3d(h + Dc, hidden, 1), nn.ReLU(), nn.Conv3d(hidden, hidden, 1),
                                 nn.ReLU(), nn.Conv3d(hidden, D, 1))
        nn.init.zeros_(self.net[4].weight)
        nn.init.zeros_(self.net[4].bias)
        self.conditional = Dc > 0

    def forward(self, x: torch.Tensor, c: Optional[torch.Tensor] = None):
        h = self.D // 2
        x1, x2 = x[:, :h], x[:, h:]
        inp = torch.cat([x1, c], dim=1) if self.conditional else x1
        out = self.net(inp)
        s_logit, t = out[:, :h], out[:, h:]
        z = s_logit + 2.0
        x2 = (x2 + t) * torch.sigmoid(z)
        logdet = F.logsigmoid(z).sum(1, keepdim=True)
        return torch.cat([x1, x2], dim=1), logdet


class FlowBlock(nn.Module):
    def __init__(self, D: int, hidden: int, Dc: int = 0):
        super().__init__()
        self.actnorm = ActNorm(D, Dc)
        self.invconv = InvConv(D)
        self.coupling = Coupling(D, hidden, Dc)

    def forward(self, x: torch.Tensor, c: Optional[torch.Tensor] = None):
        x, ld1 = self.actnorm(x, c)
        x, ld2 = self.invconv(x)
        x, ld3 = self.coupling(x, c)
        return x, ld1 + ld2 + ld3


class Glow(nn.Module):
    """K blocks of ActNorm -> InvConv -> Coupling; nll = 1/2 |z|^2 + (D/2) ln 2 pi - sum log-dets."""

    def __init__(self, D: int = 32, blocks: int = 64, hidden: int = 512, Dc: int = 0):
        super().__init__()
        assert D % 2 == 0, "D must be even"
        self.D, self.Dc, self.hidden, self.n_blocks = D, Dc, hidden, blocks
        self.flows = nn.ModuleList([FlowBlock(D, hidden, Dc) for _ in range(blocks)])

    def nll_pooled(self, y: torch.Tensor, c: Optional[torch.Tensor] = None) -> torch.Tensor:
        x = y
        logdet = torch.zeros_like(y[:, :1])
        for f in self.flows:
            x, ld = f(x, c if self.Dc > 0 else None)
            logdet = logdet + ld
        return 0.5 * (x ** 2).sum(1, keepdim=True) + 0.5 * self.D * LOG_2PI - logdet

    def nll_map(self, y, c=None, pool=DEFAULT_POOL):
        return self.nll_pooled(_pool(y, pool), _pool(c, pool))


class ConditionalGlow(Glow):
    """Glow with the condition injected in every ActNorm (`actnorm.cond`) and every coupling subnet
    (`coupling.net.0` takes cat[x1, c])."""

    def __init__(self, D: int = 32, Dc: int = 32, blocks: int = 64, hidden: int = 512):
        assert Dc > 0
        super().__init__(D=D, blocks=blocks, hidden=hidden, Dc=Dc)


# ----------------------------------------------------------------------------------------------------
# Randomisation for equivalence tests
# ----------------------------------------------------------------------------------------------------

def _normal(shape, std, g):
    return torch.randn(shape, generator=g, dtype=torch.float64).mul_(std).float()


def _uniform(shape, lo, hi, g):
    return (torch.rand(shape, generator=g, dtype=torch.float64) * (hi - lo) + lo).float()


def _fan_in(w: torch.Tensor) -> int:
    return int(w[0].numel()) if w.dim() > 1 else int(w.numel())


@torch.no_grad()
def randomize_(module: nn.Module, generator: torch.Generator) -> nn.Module:
    """Fill every parameter and buffer of `module` with random, non-degenerate values (in place).

    - Conv/Linear weights ~ N(0, gain / fan_in), gain 1 (2 before a ReLU); biases ~ N(0, 0.05^2).
    - GroupNorm weight ~ U(0.9, 1.1), bias ~ N(0, 0.05^2); LayerScale gamma ~ U(0.1, 0.5).
    - Density heads / flows: ActNorm loc, log_scale ~ N(0, 0.1^2) and initialized = 1; invconv weight =
      Q of the QR of a random matrix with random column sign flips; the coupling's last layer and the
      conditional ActNorm's cond conv are random but small; Gaussian log_var ~ U(-1, 1); the
      conditional Gaussian's log-var head output is kept small (|log_var| well below 3).
    Every tensor is visited: anything not matched by a rule gets N(0, 0.1^2) (float) or 1 (integer).
    """
    g = generator
    done = set()

    def setp(t: torch.Tensor, value: torch.Tensor):
        t.copy_(value.to(t.dtype).reshape(t.shape))
        done.add(id(t))

    for name, m in module.named_modules():
        if isinstance(m, nn.GroupNorm):
            setp(m.weight, _uniform(m.weight.shape, 0.9, 1.1, g))
            setp(m.bias, _normal(m.bias.shape, 0.05, g))
        elif isinstance(m, LayerScale):
            setp(m.gamma, _uniform(m.gamma.shape, 0.1, 0.5, g))
        elif isinstance(m, GaussianDensity):
            setp(m.mean, _normal(m.mean.shape, 0.5, g))
            setp(m.log_var, _uniform(m.log_var.shape, -1.0, 1.0, g))
        elif isinstance(m, ActNorm):
            setp(m.loc, _normal(m.loc.shape, 0.1, g))
            setp(m.log_scale, _normal(m.log_scale.shape, 0.1, g))
            m.initialized.fill_(1)
            done.add(id(m.initialized))
            if m.cond is not None:
                setp(m.cond.weight, _normal(m.cond.weight.shape, 0.1 / math.sqrt(_fan_in(m.cond.weight)), g))
                setp(m.cond.bias, _normal(m.cond.bias.shape, 0.02, g))
        elif isinstance(m, InvConv):
            D = m.weight.shape[0]
            q, r = torch.linalg.qr(torch.randn(D, D, generator=g, dtype=torch.float64))
            q = q * torch.sign(torch.diagonal(r))[None, :]          # Haar-distributed Q
            signs = torch.where(torch.rand(D, generator=g) < 0.5, -1.0, 1.0).double()
            setp(m.weight, q * signs[None, :])
        elif isinstance(m, Coupling):
            for i, lin in enumerate((m.net[0], m.net[2], m.net[4])):
                gain = 2.0 if i < 2 else 0.05   # ReLU after the first two; the last one small
                setp(lin.weight, _normal(lin.weight.shape, math.sqrt(gain / _fan_in(lin.weight)), g))
                setp(lin.bias, _normal(lin.bias.shape, 0.05 if i < 2 else 0.02, g))
        elif isinstance(m, ConditionalGaussianDensity):
            for head, last_gain in ((m.mean_head, 0.5), (m.log_var_head, 0.05)):
                c0, c2 = head[0], head[2]
                setp(c0.weight, _normal(c0.weight.shape, math.sqrt(2.0 / _fan_in(c0.weight)), g))
                setp(c0.bias, _normal(c0.bias.shape, 0.05, g))
                setp(c2.weight, _normal(c2.weight.shape, math.sqrt(last_gain / _fan_in(c2.weight)), g))
                setp(c2.bias, _normal(c2.bias.shape, 0.1, g))

    for name, m in module.named_modules():
        if isinstance(m, (nn.Conv3d, nn.Linear)):
            if id(m.weight) not in done:
                setp(m.weight, _normal(m.weight.shape, math.sqrt(1.0 / _fan_in(m.weight)), g))
            if m.bias is not None and id(m.bias) not in done:
                setp(m.bias, _normal(m.bias.shape, 0.05, g))

    for name, t in list(module.named_parameters()) + list(module.named_buffers()):
        if id(t) in done:
            continue
        if t.is_floating_point():
            t.copy_(_normal(t.shape, 0.1, g).to(t.dtype))
        else:
            t.fill_(1)
        done.add(id(t))
    return module


def build(kind: str, size: str = "tiny", in_channels: int = 1, d: int = 32, dc: int = 32,
          hidden: int = 64, blocks: int = 4) -> nn.Module:
    """Build one of the five kinds used by make_reference_case.py."""
    if kind == "descriptor":
        return Descriptor(size, in_channels, d)
    if kind == "gaussian":
        return GaussianDensity(d)
    if kind == "conditional_gaussian":
        return ConditionalGaussianDensity(d, dc, hidden)
    if kind == "glow":
        return Glow(d, blocks, hidden)
    if kind == "conditional_glow":
        return ConditionalGlow(d, dc, blocks, hidden)
    raise ValueError(f"unknown kind {kind!r}")
