#!/usr/bin/env bash
# The learned pipeline end to end on small phantoms with random-initialised
# checkpoints: patcher → descriptor + condition → density → aggregator →
# writers. Then the condition swapped (learned → sin-cos → none, and Glow):
# only the condition stage and the density's checkpoint change.
set -euo pipefail
screener=$1 root=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$root/tests/make_test_models.sh" "$out/models"

small=(--set 'source.size=[96,96,48]' --set 'source.spacing=[3.0,3.0,3.0]' --set 'resample.target_spacing=[3.0,3.0,3.0]'
  --set 'patcher.roi=[64,64,32]' --set 'density.pool=[2,2,2]' --threads 2)
/usr/bin/python3 - "$root/pipelines/demo_model.json" "$out" <<'PY'
import json, sys
pipeline = json.load(open(sys.argv[1]))
def variant(name, condition):
    p = json.loads(json.dumps(pipeline))
    p["stages"] = [dict(s, **condition) if s["id"] == "condition" else s for s in p["stages"]]
    json.dump(p, open(f"{sys.argv[2]}/{name}.json", "w"), indent=1)
variant("sincos", {"plugin": "condition_sincos", "params": {}})
variant("none", {"plugin": "condition_none", "params": {}})
PY
m=$out/models
"$screener" run "$root/pipelines/demo_model.json" --input phantom:2:7 --output "$out/learned" "${small[@]}" \
  --set descriptor.checkpoint=$m/descriptor.pt --set descriptor.size=tiny --set condition.checkpoint=$m/condition.pt \
  --set condition.size=tiny --set condition.d_cond=16 --set density.checkpoint=$m/density.pt
"$screener" run "$out/sincos.json" --input phantom:2:7 --output "$out/sincos" "${small[@]}" \
  --set descriptor.checkpoint=$m/descriptor.pt --set descriptor.size=tiny --set density.checkpoint=$m/density_sincos.pt
"$screener" run "$out/none.json" --input phantom:2:7 --output "$out/none" "${small[@]}" \
  --set descriptor.checkpoint=$m/descriptor.pt --set descriptor.size=tiny --set density.checkpoint=$m/density_none.pt
"$screener" run "$out/none.json" --input phantom:2:7 --output "$out/glow" "${small[@]}" \
  --set descriptor.checkpoint=$m/descriptor.pt --set descriptor.size=tiny --set density.checkpoint=$m/glow.pt

/usr/bin/python3 - "$out" <<'PY'
import json, pathlib, sys
import nibabel as nib
import numpy as np
out = pathlib.Path(sys.argv[1])
maps = {}
for run in ["learned", "sincos", "none", "glow"]:
    summary = json.loads((out / run / "run_summary.json").read_text())
    assert summary["counts"]["done"] == 2, (run, summary["counts"])
    for study in summary["studies"]:
        for stage in ["descriptor", "condition", "density", "aggregator"]:
            assert study["timings"][stage]["calls"] > 0, (run, stage)
        d = out / run / study["id"]
        image, score = nib.load(d / "image.nii.gz"), nib.load(d / "score.nii.gz")
        assert image.shape == score.shape == (96, 96, 48), (image.shape, score.shape)
        assert np.allclose(image.affine, score.affine)
        s = score.get_fdata()
        assert np.isfinite(s).all(), run
        assert s.std() > 0, run
        maps[(run, study["id"])] = s
for study in ["phantom-0000", "phantom-0001"]:
    runs = ["learned", "sincos", "none", "glow"]
    for i, a in enumerate(runs):
        for b in runs[i + 1:]:
            assert not np.allclose(maps[(a, study)], maps[(b, study)]), (a, b, "the condition or density made no difference")
print("model pipeline ok: learned, sin-cos, no condition, glow")
PY
