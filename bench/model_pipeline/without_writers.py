"""without_writers.py PIPELINE OUT: the pipeline without its writer stages
(and the edges into them), for machines without the writers' libraries
(ITK, DCMTK): the GPU machine's timing runs need no files written."""
import json
import sys

pipeline = json.load(open(sys.argv[1]))
writers = {s["id"] for s in pipeline["stages"] if s["plugin"].endswith("_writer")}
pipeline["stages"] = [s for s in pipeline["stages"] if s["id"] not in writers]
pipeline["edges"] = [e for e in pipeline["edges"] if e["to"].split(".")[0] not in writers]
pipeline["name"] += "_without_writers"
json.dump(pipeline, open(sys.argv[2], "w"), indent=2)
