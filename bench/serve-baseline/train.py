"""Writes the registered model in the course's shape: the fitted
DictVectorizer and LinearRegression of the template's pipeline, pickled as
the (dv, model) pair the course's server loads, so both serve the same
model.

    python train.py MODEL_URI OUT_DIR     # MODEL_URI: models:/taxi-duration@production
"""

import pickle
import sys

import mlflow.sklearn

model_uri, out_dir = sys.argv[1], sys.argv[2]
pipeline = mlflow.sklearn.load_model(model_uri)
with open(f"{out_dir}/lin_reg.bin", "wb") as f:
    pickle.dump((pipeline.named_steps["dv"], pipeline.named_steps["lr"]), f)
print(f"wrote the course's (dv, model) pair of {model_uri}")
