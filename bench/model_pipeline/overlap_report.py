"""overlap_report.py RUN_SUMMARY: pipelined wall time against the sum of stage
busy times, and whether the model stages ever waited for CPU preprocessing:
the share of the span from the first model call to the last during which some
study's model stage was working (per study and stage intervals, from
first_start / last_end), and per study how long its preprocessing had been
finished when its model stages started."""
import json
import sys

summary = json.load(open(sys.argv[1]))
model_stages = {"descriptor", "condition", "density"}
cpu_stages = {"source", "crop", "resample", "window", "clahe"}
busy = summary["stage_busy_seconds"]
wall = summary["wall_seconds"]


def intervals(study, stages):
    return [(t["first_start"], t["last_end"]) for name, t in study["timings"].items() if name in stages and t["calls"]]


def union(spans):
    spans = sorted(spans)
    merged = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return merged



all_model = union([span for s in summary["studies"] for span in intervals(s, model_stages)])
span = all_model[-1][1] - all_model[0][0] if all_model else 0.0
ready_ahead = []
for study in summary["studies"]:
    pre, model = intervals(study, cpu_stages), intervals(study, model_stages)
    if pre and model:
        ready_ahead.append(round(min(a for a, _ in model) - max(b for _, b in pre), 3))
print(json.dumps({
    "studies": summary["counts"]["done"],
    "wall_seconds": round(wall, 2),
    "sum_of_stage_busy_seconds": round(sum(busy.values()), 2),
    "model_stage_busy_seconds": round(sum(v for k, v in busy.items() if k in model_stages), 2),
    "cpu_preprocessing_busy_seconds": round(sum(v for k, v in busy.items() if k in cpu_stages), 2),
    "model_stages_working_share_of_their_span": round(sum(b - a for a, b in all_model) / span, 4) if span else None,
    "preprocessing_done_seconds_before_model_start": ready_ahead,
    "stage_busy_seconds": {k: round(v, 2) for k, v in sorted(busy.items())},
}, indent=1))
