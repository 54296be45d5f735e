"""The alert bridge: Alertmanager's webhook receiver in the stack.

Alertmanager posts its own JSON and Prefect's open-source server takes
events (Prefect's incoming webhooks are a Prefect Cloud feature), so this
small adapter sits between them:

- POST /prefect: each alert becomes a Prefect event
  (alertmanager.alert.firing or .resolved) whose resource carries the
  alert's labels; the retrain deployment's trigger (an automation) runs
  the retrain flow on firing alerts labelled action=retrain.
- POST /notify: each alert becomes one log line (`mlforge logs
  alert-bridge`) and, when ALERT_WEBHOOK_URL is set, a message there: a
  Slack-style {"text": ...} (Slack, Mattermost, Rocket.Chat, ...), or
  Alertmanager's payload as it came with ALERT_WEBHOOK_FORMAT=alertmanager.
- GET /health.

A delivery that fails upstream answers 502, and Alertmanager retries it.

    python -m taxi_duration.alerts
"""

from __future__ import annotations

import json
import logging
import os
import sys
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer

from taxi_duration.alerts_http import make_handler

log = logging.getLogger("taxi_duration.alerts")
FORMATS = ("slack", "alertmanager")
# Prefect refuses a resource with more labels than this
# (PREFECT_SERVER_EVENTS_MAXIMUM_LABELS_PER_RESOURCE, default 500); two are
# the resource's id and name.
MAX_LABELS = 498

Post = Callable[[str, object], None]


def alerts_of(payload: object) -> list[dict]:
    """Return the alerts of an Alertmanager webhook payload, checked."""
    if not isinstance(payload, dict) or not isinstance(payload.get("alerts"), list):
        raise ValueError("body: not an Alertmanager webhook payload (no alerts list)")
    for i, alert in enumerate(payload["alerts"]):
        if not isinstance(alert, dict) or not isinstance(alert.get("labels"), dict):
            raise ValueError(f"alerts[{i}].labels: required, an object")
        if not alert["labels"].get("alertname"):
            raise ValueError(f"alerts[{i}].labels.alertname: required")
        if alert.get("status") not in ("firing", "resolved"):
            raise ValueError(f"alerts[{i}].status: {alert.get('status')!r}, want firing or resolved")
    return payload["alerts"]


def to_events(payload: object, now: datetime, new_id: Callable[[], str]) -> list[dict]:
    """Turn an Alertmanager webhook payload into Prefect events, one per alert."""
    events = []
    for alert in alerts_of(payload):
        labels = {str(k): str(v) for k, v in sorted(alert["labels"].items())[:MAX_LABELS]}
        name = labels["alertname"]
        resource = {
            **labels,
            "prefect.resource.id": f"alertmanager.alert.{alert.get('fingerprint') or name}",
            "prefect.resource.name": name,
        }
        events.append(
            {
                "id": new_id(),
                "occurred": now.isoformat(),
                "event": f"alertmanager.alert.{alert['status']}",
                "resource": resource,
                "payload": {
                    k: alert.get(k) for k in ("status", "labels", "annotations", "startsAt", "endsAt", "generatorURL")
                }
                | {"receiver": payload.get("receiver"), "groupKey": payload.get("groupKey")},
            }
        )
    return events


def describe(alert: dict) -> str:
    """One line for an alert: status, name, severity and summary."""
    labels, notes = alert["labels"], alert.get("annotations") or {}
    line = f"{alert['status'].upper()} {labels['alertname']}"
    if labels.get("severity"):
        line += f" ({labels['severity']})"
    if text := notes.get("summary") or notes.get("description"):
        line += f": {text}"
    return line


def post_json(url: str, body: object) -> None:
    """POST body as JSON; OSError on a failed delivery."""
    req = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"content-type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(req, timeout=10):
            pass
    except urllib.error.HTTPError as exc:
        detail = exc.read(300).decode(errors="replace")
        raise OSError(f"POST {url}: status {exc.code}: {detail}") from exc


class Bridge:
    """Bridge delivers Alertmanager's notifications to Prefect and people."""

    def __init__(self, prefect_api: str, webhook_url: str = "", webhook_format: str = "slack", post: Post = post_json):
        if webhook_format not in FORMATS:
            raise ValueError(f"ALERT_WEBHOOK_FORMAT: {webhook_format!r}, want one of {', '.join(FORMATS)}")
        self.events_url = prefect_api.rstrip("/") + "/events"
        self.webhook_url, self.webhook_format, self.post = webhook_url, webhook_format, post

    def prefect(self, payload: object) -> int:
        """Send the alerts to Prefect as events; return how many."""
        events = to_events(payload, datetime.now(UTC), lambda: str(uuid.uuid4()))
        if events:
            self.post(self.events_url, events)
        for e in events:
            log.info("event %s for %s", e["event"], e["resource"]["prefect.resource.name"])
        return len(events)

    def notify(self, payload: object) -> int:
        """Log the alerts and forward them to the webhook; return how many."""
        alerts = alerts_of(payload)
        lines = [describe(a) for a in alerts]
        for line in lines:
            log.warning("%s", line)
        if self.webhook_url and alerts:
            body = payload if self.webhook_format == "alertmanager" else {"text": "\n".join(lines)}
            self.post(self.webhook_url, body)
        return len(alerts)


def listen_port(text: str) -> int:
    """Parse ALERT_BRIDGE_PORT."""
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"ALERT_BRIDGE_PORT: {text!r} is not a port number (1-65535)")
    return int(text)


def main() -> int:
    """Serve the bridge on ALERT_BRIDGE_PORT (default 9095)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        bridge = Bridge(
            os.environ.get("PREFECT_API_URL", "http://prefect:4200/api"),
            os.environ.get("ALERT_WEBHOOK_URL", "").strip(),
            os.environ.get("ALERT_WEBHOOK_FORMAT", "").strip() or "slack",
        )
        port = listen_port(os.environ.get("ALERT_BRIDGE_PORT", "9095"))
    except ValueError as exc:
        print(f"alert-bridge: {exc}", file=sys.stderr)
        return 2
    server = ThreadingHTTPServer(("0.0.0.0", port), make_handler(bridge))
    log.info("listening on :%d", port)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
