"""ModelSource finds and loads the model behind the registry alias."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Loaded:
    """Loaded is a model and the registry version it came from."""

    version: str
    model: Any


class ModelSource(Protocol):
    """ModelSource is where the server gets its model (the MLflow registry in production)."""

    def current_version(self) -> str | None: ...

    def load(self, version: str) -> Loaded: ...


class RegistrySource:
    """RegistrySource reads models:/NAME@ALIAS from the MLflow model registry."""

    def __init__(self, tracking_uri: str, name: str, alias: str):
        import mlflow

        mlflow.set_tracking_uri(tracking_uri)
        self.client = mlflow.MlflowClient(tracking_uri=tracking_uri)
        self.name, self.alias = name, alias

    def current_version(self) -> str | None:
        """Return the version the alias points at, None when there is none yet."""
        from mlflow.exceptions import MlflowException

        try:
            mv = self.client.get_model_version_by_alias(self.name, self.alias)
        except MlflowException as exc:
            if getattr(exc, "error_code", "") in (
                "RESOURCE_DOES_NOT_EXIST",
                "INVALID_PARAMETER_VALUE",
            ):
                return None
            raise
        return str(mv.version)

    def load(self, version: str) -> Loaded:
        """Load one registered version."""
        import mlflow.sklearn

        model = mlflow.sklearn.load_model(f"models:/{self.name}/{version}")
        log.info("loaded %s version %s", self.name, version)
        return Loaded(version=version, model=model)
