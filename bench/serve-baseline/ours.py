"""The template's model server for bench/serve-load.sh: the real app
(taxi_duration.serve.create_app: validation, metrics, prediction log) with
the registry replaced by a pickled pipeline (BENCH_MODEL), so both servers
score the same model without MLflow in the loop."""

import os
import pickle

from taxi_duration.loader import Loaded
from taxi_duration.predlog import PredictionLog
from taxi_duration.serve import create_app


class PickleSource:
    def __init__(self, path):
        with open(path, "rb") as f:
            self.model = pickle.load(f)

    def current_version(self):
        return "1"

    def load(self, version):
        return Loaded(version=version, model=self.model)


def app():
    a = create_app(PickleSource(os.environ["BENCH_MODEL"]), PredictionLog(os.environ["BENCH_PREDICTIONS"]), 0)
    a.state.holder.refresh()
    return a
