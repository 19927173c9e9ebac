"""make_checkpoint_seeds.py OUTDIR: the seed corpus of the `checkpoint` fuzz
target (tests/fuzz/corpus/checkpoint/): small torch.save files as PyTorch
writes them, a Lightning-style .ckpt, their pickles alone (the fuzz target
wraps an input not starting with "PK" in an archive whose storages data/0 … 3
hold 64 bytes), and the hostile cases the reader must refuse.
Run with /usr/bin/python3 (torch). Deterministic."""
import collections
import io
import os
import struct
import sys
import zipfile

import torch

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)


def save(name, obj, **kw):
    buf = io.BytesIO()
    torch.save(obj, buf, **kw)
    data = buf.getvalue()
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
    return data


def pickle_of(archive_bytes):
    z = zipfile.ZipFile(io.BytesIO(archive_bytes))
    return z.read(next(n for n in z.namelist() if n.endswith("/data.pkl")))


def write(name, data):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)


# Tensors of at most 16 floats and storages 0-3 only, so the pickles work in the fuzz target's archive.
sd = collections.OrderedDict()
sd["glow_blocks.0.actnorm.loc"] = torch.randn(4)
sd["glow_blocks.0.actnorm.initialized"] = torch.tensor(1, dtype=torch.uint8)
sd["glow_blocks.0.inv_linear.weight"] = torch.randn(2, 2, 1, 1, 1)
sd["descriptor_model.convs.0.bias"] = torch.randn(4)
state_dict = save("state_dict.pt", sd)

lightning = {
    "epoch": 3, "global_step": 1200, "pytorch-lightning_version": "2.1.0",
    "state_dict": sd,
    "loops": {"fit_loop": {"state_dict": {}, "epoch_progress": {"total": {"ready": 4, "completed": 3}}}},
    "callbacks": {"ModelCheckpoint{'monitor': None, 'mode': 'min'}": {
        "best_model_score": None, "best_model_path": "", "dirpath": "/tmp/x", "best_k_models": {}}},
    "optimizer_states": [{"state": {0: {"step": 7}}, "param_groups": [{
        "lr": 3e-4, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 1e-6, "amsgrad": False,
        "foreach": None, "params": [0, 1, 2]}]}],
    "lr_schedulers": [],
    "hparams_name": "kwargs",
    "hyper_parameters": {"mode": "3d", "descriptor_dim": 4, "avg_pool": True, "avg_pool_kernel_size": (3, 3, 2),
                         "avg_pool_stride": [3, 3, 2], "avg_pool_padding": 0, "sigma": 0.1, "glow_depth": 1,
                         "glow_hidden_dim": 8, "descriptor_model_path": None, "tags": {"a", "b"}},
}
ckpt = save("lightning.ckpt", lightning)
save("lightning_protocol4.ckpt", lightning, pickle_protocol=4)
write("lightning_pickle", pickle_of(ckpt))
write("state_dict_pickle", pickle_of(state_dict))


def u(s):  # BINUNICODE
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def storage_tensor(numel, sizes, strides, key="0"):
    t = lambda xs: b"(" + b"".join(b"\x8a\x08" + struct.pack("<q", x) for x in xs) + b"t"
    return (b"ctorch._utils\n_rebuild_tensor_v2\n(" + b"(" + u("storage") + b"ctorch\nFloatStorage\n" + u(key) + u("cpu")
            + b"\x8a\x08" + struct.pack("<q", numel) + b"tQ" + b"K\x00" + t(sizes) + t(strides)
            + b"\x89ccollections\nOrderedDict\n)R" + b"tR")


def dict_of(pairs):
    return b"\x80\x02}(" + b"".join(u(k) + v for k, v in pairs) + b"u."


write("hostile_tensor_2e40_elements", dict_of([("w", storage_tensor(2**40, [2**40], [1]))]))
write("hostile_storage_larger_than_record", dict_of([("w", storage_tensor(100, [100], [1]))]))
write("hostile_view_outside_storage", dict_of([("w", storage_tensor(16, [4, 4], [8, 1]))]))
write("hostile_stride0_view", dict_of([("w", storage_tensor(1, [2**40], [0]))]))
write("hostile_memo_index_huge", b"\x80\x02}r\xff\xff\xff\xff.")
write("hostile_memo_get_unknown", b"\x80\x02}j\x00\x00\x01\x00.")
write("hostile_deep_nesting", dict_of([("hyper_parameters", b"]" * 5000 + b"a" * 4999)]))
write("hostile_cycle", dict_of([("hyper_parameters", b"]q\x00h\x00a")]))
write("hostile_truncated_pickle", pickle_of(ckpt)[: len(pickle_of(ckpt)) // 2])
write("hostile_truncated_ckpt", ckpt[: len(ckpt) * 2 // 3])
# The central directory's claim about data.pkl's size: 4 GiB - 16.
z = bytearray(ckpt)
cd = z.rfind(b"PK\x01\x02")
while cd >= 0:
    name_len = struct.unpack_from("<H", z, cd + 28)[0]
    if z[cd + 46: cd + 46 + name_len].endswith(b"data.pkl"):
        struct.pack_into("<II", z, cd + 20, 0xFFFFFFF0, 0xFFFFFFF0)
        break
    cd = z.rfind(b"PK\x01\x02", 0, cd)
write("hostile_zip_entry_absurd_size", bytes(z))
