#!/usr/bin/env bash
# The ceVAE end to end on small DICOM studies: `screener train cevae` with the
# shipped pipelines/train_cevae.json; a run stopped after some steps and
# resumed equals an uninterrupted one (weights and loss log); the checkpoint
# loads in PyTorch (tests/reference/cevae_reference.py) and scores in
# pipelines/screen_cevae.json, which writes the same files as
# pipelines/screen_model.json; each score mode gives its own map.
set -euo pipefail
bin=$1 root=$2
screener=$bin/screener
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$bin/make_demo_dicom" "$out/data" 2 3 1 96,96,40 3.0,3.0,4.0 > /dev/null

train=(--config "$root/pipelines/train_cevae.json" --input "$out/data/dicom" --threads 2
  --set 'trainer.widths=[4,8,8,8]' --set trainer.latent=16 --set trainer.batch=4 --set trainer.steps=6
  --set trainer.warmup_steps=2 --set trainer.save_every=2 --set trainer.log_every=2 --set trainer.device=cpu)
"$screener" train cevae "${train[@]}" --output "$out/a"
"$screener" train cevae "${train[@]}" --output "$out/b" --set trainer.max_steps_this_run=3
grep -q '"complete": false' "$out/b/cevae_training.json"
"$screener" train cevae "${train[@]}" --output "$out/b" --resume
cmp "$out/a/cevae_loss.csv" "$out/b/cevae_loss.csv"
[ "$(wc -l < "$out/a/cevae_loss.csv")" -eq 7 ]

if "$screener" train cevae --config "$root/pipelines/train_density.json" --input "$out/data/dicom" --output "$out/x" 2> "$out/err"; then
  echo "a configuration without a ceVAE trainer must be refused"; exit 1
fi
grep -q "no stage of this configuration trains 'cevae'" "$out/err"

/usr/bin/python3 - "$out" <<'PY'
import csv, pathlib, sys
import torch
out = pathlib.Path(sys.argv[1])
a, b = torch.load(out / "a/cevae.pt"), torch.load(out / "b/cevae.pt")
assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a), "resumed != uninterrupted"
assert tuple(a["enc.0.weight"].shape) == (4, 1, 4, 4, 4) and tuple(a["enc_out.weight"].shape) == (32, 8, 2, 2, 2)
rows = list(csv.DictReader(open(out / "a/cevae_loss.csv")))
assert [int(r["step"]) for r in rows] == list(range(6))
assert all(float(r["loss"]) > 0 and float(r["kl"]) >= 0 and float(r["rec_ce"]) > 0 for r in rows)
print("resumed ceVAE run equals the uninterrupted one")
PY
/usr/bin/python3 "$root/tests/reference/cevae_reference.py" load "$out/a/cevae.pt" "$out/a/cevae_training.json"

# The trained checkpoint scores in the screening pipeline; the files are those of screen_model.json.
model=(--set cevae.checkpoint="$out/a/cevae.pt" --set 'cevae.widths=[4,8,8,8]' --set cevae.latent=16)
for score in combi rec kl_grad; do
  "$screener" run "$root/pipelines/screen_cevae.json" --input "$out/data/dicom" --output "$out/$score" --threads 2 \
    "${model[@]}" --set cevae.score=$score
done
(cd "$root" && "$screener" run pipelines/screen_model.json --input "$out/data/dicom" --output "$out/model" --threads 2)
/usr/bin/python3 - "$out" <<'PY'
import json, pathlib, sys
import nibabel as nib
import numpy as np
out = pathlib.Path(sys.argv[1])
def files(run):
    return sorted(str(p.relative_to(out / run)) for p in (out / run).rglob("*") if p.is_file() and p.name != "run_summary.json")
assert files("combi") == files("model"), (files("combi"), files("model"))
maps = {}
for run in ["combi", "rec", "kl_grad"]:
    summary = json.loads((out / run / "run_summary.json").read_text())
    assert summary["counts"]["done"] == 2, (run, summary["counts"])
    for study in summary["studies"]:
        assert study["timings"]["cevae"]["calls"] > 0
        d = out / run / study["id"]
        image, score = nib.load(d / "image.nii.gz"), nib.load(d / "score.nii.gz")
        assert image.shape == score.shape and np.allclose(image.affine, score.affine)
        s = score.get_fdata()
        assert np.isfinite(s).all() and s.std() > 0, run
        maps[(run, study["id"])] = s
for study in {k[1] for k in maps}:
    for a, b in [("combi", "rec"), ("combi", "kl_grad"), ("rec", "kl_grad")]:
        assert not np.allclose(maps[(a, study)], maps[(b, study)]), (a, b)
print("screen_cevae: same files as screen_model; rec, kl_grad and combi differ")
PY
echo "ceVAE end to end: ok"
