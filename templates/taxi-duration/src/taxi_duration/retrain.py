"""Retraining: a challenger trained on the newest data window against the
production model (the champion) on the same held-out month.

The held-out month is the newest labelled month; the challenger trains on
the RETRAIN_WINDOW_MONTHS months before it. It is registered either way and
promoted only when its RMSE on the held-out month beats the champion's by
more than RETRAIN_MIN_IMPROVEMENT (a share: 0.02 wants 2 % lower). The
MLflow run records the months, both scores and the decision; the
pushgateway gets the decision for Prometheus and Grafana.

    python -m taxi_duration.retrain
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from prometheus_client import CollectorRegistry, Gauge, push_to_gateway

from taxi_duration import incoming
from taxi_duration.features import read_trips
from taxi_duration.registry import Decision
from taxi_duration.settings import Settings
from taxi_duration.train import track

log = logging.getLogger("taxi_duration.retrain")
JOB = "taxi-duration-retrain"


@dataclass(frozen=True)
class Plan:
    """Plan is the months a retrain trains on and the month it holds out."""

    train: list[incoming.Month]
    held_out: incoming.Month


@dataclass(frozen=True)
class Outcome:
    """Outcome is a finished retrain: its plan, MLflow run and decision."""

    plan: Plan
    run_id: str
    decision: Decision
    margin: float

    def summary(self) -> str:
        """Describe the outcome in one line."""
        d = self.decision
        verb = "promoted" if d.promoted else "rejected"
        line = f"{verb} challenger version {d.version}: RMSE {d.rmse:.3f} on {self.plan.held_out.month}"
        if d.previous_rmse is not None and d.previous_version != d.version:
            line += f" vs {d.previous_rmse:.3f} of champion version {d.previous_version}"
        months = ", ".join(m.month for m in self.plan.train)
        return f"{line} (trained on {months}; needs {self.margin:.1%} lower)"


def plan(months: list[incoming.Month], window: int) -> Plan:
    """Hold out the newest month and train on the window months before it."""
    if window < 1:
        raise ValueError(f"RETRAIN_WINDOW_MONTHS: {window} must be 1 or more")
    if len(months) < 2:
        found = ", ".join(m.name for m in months) or "none"
        raise ValueError(
            f"retraining needs two labelled months, one to train on and one to hold out; found {found} "
            "(drop new months into data/incoming/ or under INCOMING_URI)"
        )
    return Plan(train=months[-1 - window : -1], held_out=months[-1])


def months(s: Settings) -> list[incoming.Month]:
    """Every labelled month: TRAIN_DATA, VAL_DATA and the incoming ones."""
    if s.incoming_uri:
        new = incoming.s3_months(s.incoming_uri, incoming.s3_client())
    else:
        new = incoming.local_months(s.incoming_dir)
    return incoming.history([s.train_data, s.val_data], new)


def run(s: Settings, trigger: str = "manual") -> Outcome:
    """Plan, fetch, train the challenger, compare, maybe promote."""
    p = plan(months(s), s.retrain_window_months)
    client = incoming.s3_client() if s.incoming_uri else None
    with tempfile.TemporaryDirectory() as tmp:
        frames = [read_trips(incoming.fetch(m, Path(tmp), client)) for m in p.train]
        held_out = read_trips(incoming.fetch(p.held_out, Path(tmp), client))
    params = {
        "train_data": ",".join(m.name for m in p.train),
        "val_data": p.held_out.name,
        "train_months": ",".join(m.month for m in p.train),
        "held_out_month": p.held_out.month,
        "trigger": trigger,
    }
    tracked = track(s, pd.concat(frames, ignore_index=True), held_out, params, s.retrain_min_improvement)
    return Outcome(p, tracked.run_id, tracked.decision, s.retrain_min_improvement)


def registry_for(outcome: Outcome) -> CollectorRegistry:
    """Build the metrics pushed for one retrain."""
    reg = CollectorRegistry()
    d = outcome.decision
    nan = float("nan")
    gauges = {
        "taxi_retrain_promoted": ("1 when the last retrain promoted its challenger, 0 when rejected.", int(d.promoted)),
        "taxi_retrain_challenger_rmse": ("RMSE of the last challenger on the held-out month.", d.rmse),
        "taxi_retrain_champion_rmse": (
            "RMSE of the champion on the same held-out month.",
            nan if d.previous_rmse is None else d.previous_rmse,
        ),
        "taxi_retrain_challenger_version": (
            "Registry version of the last challenger.",
            float(d.version) if d.version.isdigit() else nan,
        ),
        "taxi_retrain_last_run_timestamp_seconds": ("When a retrain last finished.", time.time()),
    }
    for name, (help_text, value) in gauges.items():
        Gauge(name, help_text, registry=reg).set(value)
    return reg


def publish(outcome: Outcome, gateway: str) -> None:
    """Push the decision to the pushgateway (a warning when it is down)."""
    try:
        push_to_gateway(gateway, job=JOB, registry=registry_for(outcome))
    except OSError as exc:
        log.warning("pushing the retrain decision to %s: %s", gateway, exc)


def main() -> int:
    """Entry point of `python -m taxi_duration.retrain` (without Prefect)."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    s = Settings()
    try:
        outcome = run(s)
    except (FileNotFoundError, ValueError) as exc:
        print(f"retrain: {exc}", file=sys.stderr)
        return 1
    publish(outcome, s.pushgateway_url)
    print(outcome.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
