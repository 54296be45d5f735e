"""The worker's health check: its deployments are registered and it serves
them. Standard library only, so the check every few seconds stays cheap.

    python -m taxi_duration.workercheck

Healthy when, on the Prefect server at PREFECT_API_URL, every deployment
exists with status READY (its runner polled within the last minute), the
monitor's schedule is active and the retrain deployment's alert trigger
(an automation) is enabled.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Callable

DEPLOYMENTS = ("train/train", "monitor/monitor", "retrain/retrain")
SCHEDULED = "monitor/monitor"
TRIGGERED = "retrain/retrain"

Get = Callable[[str], object]


def http_get(api: str) -> Get:
    """Return a JSON GET against the Prefect API at api."""

    def get(path: str) -> object:
        try:
            with urllib.request.urlopen(api.rstrip("/") + path, timeout=5) as resp:
                return json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            raise OSError(f"GET {path}: status {exc.code}") from exc

    return get


def problems(get: Get) -> list[str]:
    """List what keeps the worker from being healthy (nothing when healthy)."""
    out = []
    for name in DEPLOYMENTS:
        d = get(f"/deployments/name/{name}")
        if not isinstance(d, dict):
            out.append(f"deployment {name} is not registered")
            continue
        if d.get("status") != "READY":
            out.append(f"deployment {name} is {d.get('status')}: no runner polls it")
        if name == SCHEDULED and (d.get("paused") or not any(s.get("active") for s in d.get("schedules") or [])):
            out.append(f"deployment {name} has no active schedule")
        if name == TRIGGERED:
            automations = get(f"/automations/related-to/prefect.deployment.{d.get('id')}") or []
            if not any(a.get("enabled") for a in automations if isinstance(a, dict)):
                out.append(f"deployment {name} has no enabled trigger")
    return out


def main() -> int:
    """Exit 0 when healthy; else print why and exit 1."""
    api = os.environ.get("PREFECT_API_URL", "http://127.0.0.1:4200/api")
    try:
        found = problems(http_get(api))
    except OSError as exc:
        found = [f"{api}: {exc}"]
    for p in found:
        print(f"worker: {p}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
