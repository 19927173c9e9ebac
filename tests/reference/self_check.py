#!/usr/bin/python3
"""Self-checks of the reference modules (run: /usr/bin/python3 self_check.py [--quick]).

1. state_dict keys / shapes / dtypes equal the tables of docs/model_checkpoints.md (written out here
   independently of screener_reference.py), all three sizes, in_channels 1 and 2, and the density models.
2. Glow / ConditionalGlow set to the identity give exactly the standard-normal NLL.
3. The conditional models with their condition convs zeroed equal their unconditional counterparts.
4. Flow log-dets equal log|det J| of the per-voxel Jacobian computed by autograd.
5. The Gaussian NLL equals -torch.distributions.Normal.log_prob summed over channels.
6. A traced (TorchScript) descriptor equals eager, also at another input shape.
7. The descriptor's time-embedding bias and pyramid / head arithmetic checked on small pieces.
"""

import math
import os
import sys
import tempfile
import warnings

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import screener_reference as ref  # noqa: E402

torch.set_num_threads(2)
FAILS = []


def check(cond, msg):
    print(("ok   " if cond else "FAIL ") + msg)
    if not cond:
        FAILS.append(msg)


# ---------------------------------------------------------------------------------------------- 1
DOC_SIZES = {"tiny": ((8, 16, 32, 64, 128, 256), 512), "small": ((12, 24, 48, 96, 192, 384), 768),
             "base": ((16, 32, 64, 128, 256, 512), 1024)}
DOC_BLOCKS = (1, 1, 2, 2, 4, 4)


def doc_descriptor_keys(size, cin, d):
    w, E = DOC_SIZES[size]
    k = {"unet.stem_conv.weight": (w[0], cin, 3, 3, 3), "unet.stem_conv.bias": (w[0],),
         "unet.time_embed.proj.0.weight": (E, 256), "unet.time_embed.proj.0.bias": (E,),
         "unet.time_embed.proj.2.weight": (E, E), "unet.time_embed.proj.2.bias": (E,)}

    def stage(prefix, l):
        C = w[l]
        for b in range(DOC_BLOCKS[l]):
            p = f"{prefix}.{l}.res_blocks.{b}."
            k[p + "norm_1.weight"] = (C,); k[p + "norm_1.bias"] = (C,)
            k[p + "conv_1.weight"] = (C, C, 3, 3, 3); k[p + "conv_1.bias"] = (C,)
            k[p + "time_embed_proj.1.weight"] = (C, E); k[p + "time_embed_proj.1.bias"] = (C,)
            k[p + "norm_2.weight"] = (C,); k[p + "norm_2.bias"] = (C,)
            k[p + "conv_2.weight"] = (C, C, 3, 3, 3); k[p + "conv_2.bias"] = (C,)
            k[p + "ls.gamma"] = (C, 1, 1, 1)

    for l in range(6):
        stage("unet.encoder_stages", l)
    for l in range(5):
        k[f"unet.down_convs.{l}.weight"] = (w[l + 1], w[l], 2, 2, 2); k[f"unet.down_convs.{l}.bias"] = (w[l + 1],)
        k[f"unet.fuse_convs.{l}.weight"] = (w[l], w[l + 1] + w[l], 1, 1, 1); k[f"unet.fuse_convs.{l}.bias"] = (w[l],)
        stage("unet.decoder_stages", l)
    for l in range(6):
        k[f"convs.{l}.weight"] = (d, w[l], 1, 1, 1); k[f"convs.{l}.bias"] = (d,)
    return k


def doc_density_keys(kind, D, Dc, H, K):
    k = {}
    if kind == "gaussian":
        k = {"mean": (D,), "log_var": (D,)}
    elif kind == "conditional_gaussian":
        for head in ("mean_head", "log_var_head"):
            k[f"{head}.0.weight"] = (H, Dc, 3, 3, 3); k[f"{head}.0.bias"] = (H,)
            k[f"{head}.2.weight"] = (D, H, 3, 3, 3); k[f"{head}.2.bias"] = (D,)
    else:
        cond = kind == "conditional_glow"
        for i in range(K):
            p = f"flows.{i}."
            k[p + "actnorm.loc"] = (1, D, 1, 1, 1); k[p + "actnorm.log_scale"] = (1, D, 1, 1, 1)
            k[p + "actnorm.initialized"] = ()
            if cond:
                k[p + "actnorm.cond.weight"] = (2 * D, Dc, 1, 1, 1); k[p + "actnorm.cond.bias"] = (2 * D,)
            k[p + "invconv.weight"] = (D, D)
            k[p + "coupling.net.0.weight"] = (H, D // 2 + (Dc if cond else 0), 1, 1, 1)
            k[p + "coupling.net.0.bias"] = (H,)
            k[p + "coupling.net.2.weight"] = (H, H, 1, 1, 1); k[p + "coupling.net.2.bias"] = (H,)
            k[p + "coupling.net.4.weight"] = (D, H, 1, 1, 1); k[p + "coupling.net.4.bias"] = (D,)
    return k


def compare_keys(name, sd, expected, allow_attn):
    got = {}
    attn = []
    for key, v in sd.items():
        if allow_attn and any(part.startswith("attn") for part in key.split(".")):
            attn.append(key)
            continue
        got[key] = tuple(v.shape)
    missing = sorted(set(expected) - set(got))
    unexpected = sorted(set(got) - set(expected))
    misshaped = sorted(k for k in set(got) & set(expected) if got[k] != tuple(expected[k]))
    ok = not missing and not unexpected and not misshaped
    detail = f" missing={missing[:5]} unexpected={unexpected[:5]} misshaped={misshaped[:5]}" if not ok else ""
    check(ok, f"keys {name}: {len(got)} keys match the doc{detail}")
    if allow_attn:
        prefixes = sorted({".".join(k.split(".")[:4]) for k in attn})
        check(prefixes == ["unet.decoder_stages.4.attn_blocks", "unet.encoder_stages.4.attn_blocks",
                           "unet.encoder_stages.5.attn_blocks"], f"attn blocks of {name} at {prefixes}")
    bad_dtype = [k for k, v in sd.items() if v.dtype != torch.float32 and not k.endswith("initialized")]
    check(not bad_dtype, f"dtypes {name}: float32 (non-float32: {bad_dtype[:3]})")
    init = [v for k, v in sd.items() if k.endswith("initialized")]
    check(all(v.dtype == torch.uint8 and v.dim() == 0 for v in init), f"initialized buffers of {name} are uint8 scalars")


def check_keys():
    for size in ("tiny", "small", "base"):
        for cin in (1, 2):
            m = ref.Descriptor(size, cin, 32)
            compare_keys(f"descriptor {size} in={cin}", m.state_dict(), doc_descriptor_keys(size, cin, 32), True)
    m = ref.Descriptor("tiny", 1, 16)
    compare_keys("descriptor tiny d=16", m.state_dict(), doc_descriptor_keys("tiny", 1, 16), True)
    for kind, D, Dc, H, K in (("gaussian", 32, 0, 0, 0), ("conditional_gaussian", 32, 24, 48, 0),
                              ("glow", 32, 0, 512, 3), ("conditional_glow", 32, 24, 64, 3), ("glow", 16, 0, 20, 2)):
        m = ref.build(kind, d=D, dc=Dc, hidden=H, blocks=K)
        compare_keys(f"{kind} D={D} Dc={Dc} H={H} K={K}", m.state_dict(), doc_density_keys(kind, D, Dc, H, K), False)


# ---------------------------------------------------------------------------------------------- 2-5
def std_normal_nll(y):
    return (0.5 * y ** 2 + 0.5 * math.log(2 * math.pi)).sum(1, keepdim=True)


@torch.no_grad()
def make_identity(glow):
    for f in glow.flows:
        f.actnorm.loc.zero_(); f.actnorm.log_scale.zero_(); f.actnorm.initialized.fill_(1)
        if f.actnorm.cond is not None:
            f.actnorm.cond.weight.zero_(); f.actnorm.cond.bias.zero_()
        f.invconv.weight.copy_(torch.eye(glow.D))
        last = f.coupling.net[4]
        last.weight.zero_(); last.bias.zero_()
        last.bias[: glow.D // 2] = 40.0  # s = sigmoid(42) == 1 in float32, log-det 0
    return glow


def check_densities():
    g = torch.Generator().manual_seed(123)
    D, Dc = 8, 6
    y = torch.randn(2, D, 9, 6, 8, generator=g)
    c = torch.randn(2, Dc, 9, 6, 8, generator=g)
    yp = F.avg_pool3d(y, (3, 3, 2), (3, 3, 2))
    with torch.no_grad():
        for model in (ref.Glow(D, 3, 16), ref.ConditionalGlow(D, Dc, 3, 16)):
            ref.randomize_(model, g)
            make_identity(model)
            out = model.nll_map(y, c)
            ok = out.shape == (2, 1, 3, 2, 4) and torch.allclose(out, std_normal_nll(yp), atol=1e-5, rtol=0)
            check(ok, f"identity {type(model).__name__} == standard normal NLL "
                      f"(max diff {float((out - std_normal_nll(yp)).abs().max()):.2e})")

        # conditional with zeroed condition convs == unconditional
        cg = ref.randomize_(ref.ConditionalGlow(D, Dc, 3, 16), g)
        ug = ref.Glow(D, 3, 16)
        for fc, fu in zip(cg.flows, ug.flows):
            fc.actnorm.cond.weight.zero_(); fc.actnorm.cond.bias.zero_()
            fc.coupling.net[0].weight[:, D // 2:] = 0
        sd = {k: v for k, v in cg.state_dict().items() if "actnorm.cond" not in k}
        sd.update({k: v[:, : D // 2] for k, v in sd.items() if k.endswith("coupling.net.0.weight")})
        ug.load_state_dict(sd)
        d = float((cg.nll_map(y, c) - ug.nll_map(y)).abs().max())
        check(d < 1e-5, f"conditional glow with zeroed condition == glow (max diff {d:.2e})")

        cgs = ref.randomize_(ref.ConditionalGaussianDensity(D, Dc, 10), g)
        ugs = ref.randomize_(ref.GaussianDensity(D), g)
        for head, vec in ((cgs.mean_head, ugs.mean), (cgs.log_var_head, ugs.log_var)):
            head[2].weight.zero_(); head[2].bias.copy_(vec)
        d = float((cgs.nll_map(y, c) - ugs.nll_map(y)).abs().max())
        check(d < 1e-5, f"conditional gaussian with zeroed condition == gaussian (max diff {d:.2e})")

        # Gaussian NLL vs torch.distributions
        ref_nll = -torch.distributions.Normal(ugs.mean[None, :, None, None, None],
                                              torch.exp(0.5 * ugs.log_var)[None, :, None, None, None]
                                              ).log_prob(yp).sum(1, keepdim=True)
        d = float((ugs.nll_map(y) - ref_nll).abs().max())
        check(d < 1e-4, f"gaussian NLL == -Normal.log_prob summed (max diff {d:.2e})")
        cgs2 = ref.randomize_(ref.ConditionalGaussianDensity(D, Dc, 10), torch.Generator().manual_seed(5))
        mu = cgs2.mean_head(F.avg_pool3d(c, (3, 3, 2), (3, 3, 2)))
        lv = cgs2.log_var_head(F.avg_pool3d(c, (3, 3, 2), (3, 3, 2)))
        ref_nll = -torch.distributions.Normal(mu, torch.exp(0.5 * lv)).log_prob(yp).sum(1, keepdim=True)
        d = float((cgs2.nll_map(y, c) - ref_nll).abs().max())
        check(d < 1e-4, f"conditional gaussian NLL == -Normal.log_prob summed (max diff {d:.2e})")

    # change of variables: log-dets == log|det J| of the per-voxel map (float64)
    for model in (ref.Glow(D, 3, 16), ref.ConditionalGlow(D, Dc, 3, 16)):
        ref.randomize_(model, g)
        model.double()
        yv = torch.randn(1, D, 1, 1, 1, generator=g, dtype=torch.float64)
        cv = torch.randn(1, Dc, 1, 1, 1, generator=g, dtype=torch.float64)
        cc = cv if model.Dc > 0 else None

        def fwd(v):
            x = v.reshape(1, D, 1, 1, 1)
            for f in model.flows:
                x, _ = f(x, cc)
            return x.reshape(D)
        J = torch.autograd.functional.jacobian(fwd, yv.reshape(D))
        z = fwd(yv.reshape(D))
        expect = 0.5 * (z ** 2).sum() + 0.5 * D * math.log(2 * math.pi) - torch.linalg.slogdet(J)[1]
        with torch.no_grad():
            got = model.nll_map(yv, cc, pool=None).reshape(())
        check(abs(float(got - expect)) < 1e-9,
              f"{type(model).__name__} NLL == change of variables with autograd Jacobian "
              f"(nll {float(got):.6f}, log|det J| {float(torch.linalg.slogdet(J)[1]):.4f}, "
              f"diff {abs(float(got - expect)):.1e})")

    # randomized log-var ranges on the generated-input distribution
    import make_reference_case as mrc
    g2 = torch.Generator().manual_seed(7)
    m = ref.randomize_(ref.ConditionalGaussianDensity(32, 32, 64), g2)
    cc = F.avg_pool3d(mrc.density_input((1, 32, 30, 30, 32), -0.1, g2), (3, 3, 2), (3, 3, 2))
    with torch.no_grad():
        lv = m.log_var_head(cc)
    check(float(lv.abs().max()) < 3, f"conditional gaussian |log_var| max {float(lv.abs().max()):.2f} < 3 "
                                     f"(std {float(lv.std()):.2f})")


# ---------------------------------------------------------------------------------------------- 6-7
def check_descriptor(quick):
    g = torch.Generator().manual_seed(11)
    m = ref.randomize_(ref.Descriptor("tiny", 2, 32), g).eval()
    x = torch.rand(2, 2, 32, 32, 64, generator=g)
    with torch.no_grad():
        y = m(x)
        check(y.shape == (2, 32, 32, 32, 64), f"descriptor output shape {tuple(y.shape)}")
        check(0.1 < float(y.std()) < 10, f"descriptor output std {float(y.std()):.3f} in (0.1, 10)")
        # batch independence
        y1 = m(x[1:])
        d = float((y1 - y[1:]).abs().max())
        check(d < 1e-4, f"descriptor batch element independent of batch (max diff {d:.2e})")
        # time embedding bias: ResBlock == hand-computed with the constant bias
        blk = m.unet.encoder_stages[2].res_blocks[1]
        k = torch.arange(128, dtype=torch.float64)
        f = torch.exp(-math.log(1e4) * k / 128)
        emb = torch.cat([torch.cos(1000 * f), torch.sin(1000 * f)]).float()[None]
        temb = m.unet.time_embed.proj[2](F.silu(m.unet.time_embed.proj[0](emb)))
        bias = blk.time_embed_proj[1](F.silu(temb))[0]
        xb = torch.randn(1, 32, 4, 4, 4, generator=g)
        gn1 = F.group_norm(xb, 8, blk.norm_1.weight, blk.norm_1.bias, 1e-5)
        h = F.conv3d(F.silu(gn1), blk.conv_1.weight, blk.conv_1.bias, padding=1) + bias[None, :, None, None, None]
        h = F.conv3d(F.silu(F.group_norm(h, 8, blk.norm_2.weight, blk.norm_2.bias, 1e-5)),
                     blk.conv_2.weight, blk.conv_2.bias, padding=1) * blk.ls.gamma
        d = float((blk(xb, m.unet.time_embed(ref.timestep_embedding())) - (xb + h)).abs().max())
        check(d < 1e-5, f"residual block == hand-written formula (max diff {d:.2e})")
        # match_size: crop then replicate-pad at the far end
        t = torch.arange(2 * 3 * 4, dtype=torch.float32).reshape(1, 1, 2, 3, 4)
        r = ref.match_size(t, [3, 2, 5])
        exp = t[:, :, :, :2, :]
        exp = torch.cat([exp, exp[:, :, -1:]], 2)
        exp = torch.cat([exp, exp[..., -1:]], 4)
        check(torch.equal(r, exp), "match_size crops then replicate-pads at the far end")
        # attention output discarded: perturbing attn weights leaves the output unchanged
        for name, p in m.named_parameters():
            if "attn_blocks" in name:
                p.add_(1.0)
        d = float((m(x) - y).abs().max())
        check(d == 0.0, "attention blocks have no effect on the output")

        # TorchScript trace == eager, at the traced shape and at another one
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ts = torch.jit.trace(m, (x,), check_trace=False)
        with tempfile.TemporaryDirectory() as tmp:
            torch.jit.save(ts, os.path.join(tmp, "m.ts"))
            ts = torch.jit.load(os.path.join(tmp, "m.ts"))
        d = float((ts(x) - m(x)).abs().max())
        check(d < 1e-5, f"torchscript (traced, saved, loaded) == eager (max diff {d:.2e})")
        x2 = torch.rand(1, 2, 64, 32, 32, generator=g)
        d = float((ts(x2) - m(x2)).abs().max())
        check(d < 1e-5, f"torchscript at another shape (64, 32, 32) == eager (max diff {d:.2e})")
    if not quick:
        for size in ("small", "base"):
            mm = ref.randomize_(ref.Descriptor(size, 1, 32), g).eval()
            with torch.no_grad():
                yy = mm(torch.rand(1, 1, 32, 32, 32, generator=g))
            check(0.1 < float(yy.std()) < 10, f"descriptor {size} output std {float(yy.std()):.3f} in (0.1, 10)")


def check_authors_glow():
    """The authors' layout (authors_reference.py), renamed and reshaped as plugins/density/authors_glow.cpp
    does, gives our Glow the same NLL; a transposed inv_linear weight would not."""
    import authors_reference as authors
    g = torch.Generator().manual_seed(7)
    theirs = authors.randomize_authors_(authors.AuthorsGlow("tiny", 1, 8, True, (3, 3, 2), (3, 3, 2), 0, 16, 3), g).eval()
    ours = ref.Glow(8, 3, 16).eval()
    sd = {}
    for k, v in theirs.state_dict().items():
        if not k.startswith("glow_blocks."):
            continue
        k = k.replace("glow_blocks.", "flows.").replace("inv_linear.", "invconv.").replace("affine_coupling.mlp.", "coupling.net.")
        sd[k] = v.reshape(8, 8) if k.endswith("invconv.weight") else v.reshape(1, 8, 1, 1, 1) if k.endswith(("loc", "log_scale")) else v
    ours.load_state_dict(sd)
    y = torch.randn(2, 8, 12, 12, 8, generator=g)
    with torch.no_grad():
        a, b = theirs.nll_of_descriptors(y), ours.nll_map(y)[:, 0]
        d = float((a - b).abs().max())
        check(d < 1e-4, f"authors' Glow == ours after the key translation (max diff {d:.2e})")
        for f in ours.flows:
            f.invconv.weight.copy_(f.invconv.weight.t().clone())
        d = float((theirs.nll_of_descriptors(y) - ours.nll_map(y)[:, 0]).abs().max())
        check(d > 1e-2, f"a transposed inv_linear weight changes the NLL (max diff {d:.2e})")


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    check_keys()
    check_densities()
    check_authors_glow()
    check_descriptor(quick)
    print(f"{len(FAILS)} failure(s)")
    sys.exit(1 if FAILS else 0)
