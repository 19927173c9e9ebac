"""with_phantom_source.py TRAIN_CONFIG OUT: a training configuration whose
DICOM reader is replaced by the synthetic phantom source (--input phantom:N[:SEED]),
for machines without the reader's libraries (the GPU machine) and for runs
that need no data set. The rest of the configuration is kept as it is."""
import json
import sys

config = json.load(open(sys.argv[1]))
readers = [s for s in config["stages"] if s["plugin"] == "dicom_reader"]
if len(readers) != 1:
    sys.exit(f"{sys.argv[1]}: expected one dicom_reader stage, found {len(readers)}")
reader = readers[0]
reader["plugin"] = "phantom_source"
reader["params"] = {"variety": True}
config["name"] += "_phantom"
json.dump(config, open(sys.argv[2], "w"), indent=2)
