"""Fits the model on the template's sample once and writes it in both
shapes: the pipeline the template serves and the course's (dv, model)
pair. Both predict the same durations."""

import pickle
import sys

from taxi_duration.features import RIDE_FIELDS, TARGET, read_trips
from taxi_duration.model import build_pipeline

train_file, out_dir = sys.argv[1], sys.argv[2]
trips = read_trips(train_file)
pipeline = build_pipeline().fit(trips[list(RIDE_FIELDS)], trips[TARGET])
with open(f"{out_dir}/pipeline.pkl", "wb") as f:
    pickle.dump(pipeline, f)
with open(f"{out_dir}/lin_reg.bin", "wb") as f:
    pickle.dump((pipeline.named_steps["dv"], pipeline.named_steps["lr"]), f)
print(f"trained on {len(trips)} trips")
