"""Promotion in the MLflow model registry: the production alias moves only
to a model that beats the current one on validation RMSE."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Decision:
    """Decision records whether a new version was promoted and why."""

    promoted: bool
    version: str
    rmse: float
    previous_version: str | None
    previous_rmse: float | None
    reason: str


def alias_version(client: MlflowClient, name: str, alias: str) -> str | None:
    """Return the version an alias points at, or None."""
    try:
        return str(client.get_model_version_by_alias(name, alias).version)
    except MlflowException:
        return None


def promote_if_better(
    client: MlflowClient,
    name: str,
    alias: str,
    version: str,
    rmse: float,
    score_current: Callable[[str], float],
    margin: float = 0.0,
) -> Decision:
    """Point alias at version when its RMSE is lower than the current model's
    by more than margin (a share of the current RMSE: 0.02 wants 2 % lower).

    score_current evaluates the version the alias points at now on the same
    validation data, so both models are compared on equal terms.
    """
    if not 0.0 <= margin < 1.0:
        raise ValueError(f"RETRAIN_MIN_IMPROVEMENT: {margin!r} must be a share from 0 up to (not including) 1")
    current = alias_version(client, name, alias)
    if current is None:
        client.set_registered_model_alias(name, alias, version)
        return Decision(True, version, rmse, None, None, "no model had the alias yet")
    if current == version:
        return Decision(True, version, rmse, current, rmse, "already has the alias")
    current_rmse = score_current(current)
    if rmse < current_rmse * (1.0 - margin):
        client.set_registered_model_alias(name, alias, version)
        return Decision(True, version, rmse, current, current_rmse, _why("lower validation RMSE", margin))
    return Decision(False, version, rmse, current, current_rmse, _why("not better than the current model", margin))


def _why(reason: str, margin: float) -> str:
    return f"{reason} (by more than {margin:.1%})" if margin else reason
