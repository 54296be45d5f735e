"""The worker: registers the flows' deployments with the Prefect server and
runs them (Prefect's serve(): one long-running process that polls the
server for scheduled runs and starts each in a subprocess).

    python -m taxi_duration.deployments

- train/train: on demand (`prefect deployment run train/train`).
- monitor/monitor: every MONITOR_INTERVAL (30s, 15m, 1h, 1d; default 1h).
- retrain/retrain: on demand, and when Alertmanager reports an alert
  labelled action=retrain (the drift alert): the alert bridge turns it into
  the Prefect event ALERT_EVENT, which this deployment's trigger matches.

Every deployment allows one run at a time and cancels a run that would
overlap (Prefect's deployment concurrency limit, enforced by the server):
repeated alerts never start a second retrain while one runs. Restarting
the worker registers the deployments again, triggers included.
"""

from __future__ import annotations

import re
import sys
from datetime import timedelta

from prefect import serve
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments.runner import EntrypointType, RunnerDeployment
from prefect.events import DeploymentEventTrigger

from taxi_duration import flows
from taxi_duration.settings import Settings

ALERT_EVENT = "alertmanager.alert.firing"
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
INTERVAL = re.compile(r"^([1-9][0-9]*)([smhd]?)$")
MIN_INTERVAL = timedelta(seconds=10)


def parse_interval(text: str) -> timedelta:
    """Parse MONITOR_INTERVAL: a whole number with a unit (30s, 15m, 1h, 1d)
    or seconds."""
    m = INTERVAL.match(text.strip())
    if not m:
        raise ValueError(f"MONITOR_INTERVAL: {text!r} is not an interval; write it as 30s, 15m, 1h or 1d")
    interval = timedelta(seconds=int(m.group(1)) * UNITS[m.group(2) or "s"])
    if interval < MIN_INTERVAL:
        raise ValueError(f"MONITOR_INTERVAL: {text!r} is shorter than {MIN_INTERVAL.seconds}s")
    return interval


def one_at_a_time() -> ConcurrencyLimitConfig:
    """One run per deployment; a run that would overlap is cancelled."""
    return ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW)


def retrain_trigger() -> DeploymentEventTrigger:
    """Run retrain on every firing alert labelled action=retrain, passing
    the alert's name as the run's trigger parameter."""
    return DeploymentEventTrigger(
        name="retrain on alert",
        description="Alertmanager reported an alert labelled action=retrain (data drift).",
        expect={ALERT_EVENT},
        match={"prefect.resource.id": "alertmanager.alert.*", "action": "retrain"},
        parameters={"trigger": "{{ event.resource.get('alertname', 'alert') }}"},
    )


def build(s: Settings) -> list[RunnerDeployment]:
    """Build the three deployments from the settings."""
    common = {
        "concurrency_limit": one_at_a_time(),
        "entrypoint_type": EntrypointType.MODULE_PATH,
        "tags": ["taxi-duration"],
    }
    interval = parse_interval(s.monitor_interval)
    return [
        flows.train.to_deployment("train", description="Train, register, promote when better.", **common),
        flows.monitor.to_deployment(
            "monitor", interval=interval, description=f"Drift monitor, every {s.monitor_interval}.", **common
        ),
        flows.retrain.to_deployment(
            "retrain",
            triggers=[retrain_trigger()],
            description="Challenger vs champion on the newest labelled month; on drift alerts.",
            **common,
        ),
    ]


def main() -> int:
    """Register the deployments and run them until stopped."""
    try:
        deployments = build(Settings())
    except ValueError as exc:
        print(f"worker: {exc}", file=sys.stderr)
        return 2
    serve(*deployments, print_starting_message=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
