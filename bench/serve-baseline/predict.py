"""The course's web service design (MLOps Zoomcamp, deployment module):
Flask behind gunicorn, a (DictVectorizer, LinearRegression) pair loaded
from a pickle, features prepared per request. The baseline for
bench/serve-load.sh; BENCH_BASELINE_MODEL names the pickle."""

import os
import pickle

from flask import Flask, jsonify, request

with open(os.environ["BENCH_BASELINE_MODEL"], "rb") as f_in:
    (dv, model) = pickle.load(f_in)


def prepare_features(ride):
    features = {}
    features["PU_DO"] = "%s_%s" % (ride["PULocationID"], ride["DOLocationID"])
    features["trip_distance"] = ride["trip_distance"]
    return features


def predict(features):
    X = dv.transform(features)
    preds = model.predict(X)
    return float(preds[0])


app = Flask("duration-prediction")


@app.route("/predict", methods=["POST"])
def predict_endpoint():
    ride = request.get_json()
    features = prepare_features(ride)
    pred = predict(features)
    result = {"duration": pred}
    return jsonify(result)
