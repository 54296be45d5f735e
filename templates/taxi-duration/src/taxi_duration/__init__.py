"""NYC taxi trip duration: train, serve and monitor a model with MLflow."""

MODEL_NAME = "taxi-duration"
PRODUCTION_ALIAS = "production"

__all__ = ["MODEL_NAME", "PRODUCTION_ALIAS"]
