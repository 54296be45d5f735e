import json
import threading
import urllib.error
import urllib.request
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from taxi_duration import alerts
from taxi_duration.alerts_http import MAX_BODY, make_handler

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def alert(name="TaxiDurationDataDrift", status="firing", **labels):
    return {
        "status": status,
        "labels": {"alertname": name, "severity": "warning", **labels},
        "annotations": {"summary": "Data drift: 75% of the columns drifted"},
        "startsAt": "2026-01-02T03:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus:9090/graph",
        "fingerprint": "abc123",
    }


def payload(*items):
    return {
        "version": "4",
        "status": "firing",
        "receiver": "retrain",
        "groupKey": "g",
        "alerts": list(items),
    }


def test_to_events():
    ids = iter(["id-1", "id-2"])
    events = alerts.to_events(
        payload(alert(action="retrain"), alert("TaxiDurationServeDown", "resolved")),
        NOW,
        lambda: next(ids),
    )
    first, second = events
    assert first["id"] == "id-1" and first["occurred"] == "2026-01-02T03:04:05+00:00"
    assert first["event"] == "alertmanager.alert.firing"
    assert first["resource"] == {
        "prefect.resource.id": "alertmanager.alert.abc123",
        "prefect.resource.name": "TaxiDurationDataDrift",
        "alertname": "TaxiDurationDataDrift",
        "action": "retrain",
        "severity": "warning",
    }
    assert first["payload"]["annotations"]["summary"].startswith("Data drift")
    assert first["payload"]["receiver"] == "retrain"
    assert second["event"] == "alertmanager.alert.resolved"
    assert second["resource"]["prefect.resource.name"] == "TaxiDurationServeDown"


def test_to_events_keeps_prefects_label_limit():
    many = alert(**{f"l{i:03}": "x" for i in range(600)})
    (event,) = alerts.to_events(payload(many), NOW, lambda: "id")
    assert len(event["resource"]) <= 500  # Prefect refuses more labels per resource


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ([], "no alerts list"),
        ({"alerts": "x"}, "no alerts list"),
        ({"alerts": [{"status": "firing"}]}, r"alerts\[0\].labels: required"),
        (
            {"alerts": [{"status": "firing", "labels": {}}]},
            r"alerts\[0\].labels.alertname: required",
        ),
        (
            {"alerts": [{"status": "pending", "labels": {"alertname": "A"}}]},
            r"alerts\[0\].status: 'pending'",
        ),
    ],
)
def test_bad_payloads_name_the_field(body, error):
    with pytest.raises(ValueError, match=error):
        alerts.to_events(body, NOW, lambda: "id")


def test_describe():
    assert alerts.describe(alert()) == "FIRING TaxiDurationDataDrift (warning): Data drift: 75% of the columns drifted"
    bare = {"status": "resolved", "labels": {"alertname": "X"}}
    assert alerts.describe(bare) == "RESOLVED X"


class Posts:
    """Posts is a hand-written fake of alerts.post_json."""

    def __init__(self, fail=False):
        self.calls, self.fail = [], fail

    def __call__(self, url, body):
        if self.fail:
            raise OSError(f"POST {url}: connection refused")
        self.calls.append((url, body))


def test_bridge_sends_events_to_prefect():
    posts = Posts()
    bridge = alerts.Bridge("http://prefect:4200/api/", post=posts)
    assert bridge.prefect(payload(alert(), alert("B"))) == 2
    ((url, events),) = posts.calls
    assert url == "http://prefect:4200/api/events" and len(events) == 2
    assert bridge.prefect(payload()) == 0 and len(posts.calls) == 1  # nothing to send


@pytest.mark.parametrize(
    ("url", "fmt", "sent"),
    [
        ("", "slack", None),  # log only
        ("https://hooks.example/T1", "slack", {"text": alerts.describe(alert())}),
        ("https://hooks.example/T1", "alertmanager", payload(alert())),
    ],
)
def test_bridge_notifies(url, fmt, sent, caplog):
    posts = Posts()
    bridge = alerts.Bridge("http://prefect:4200/api", url, fmt, post=posts)
    with caplog.at_level("WARNING", logger="taxi_duration.alerts"):
        assert bridge.notify(payload(alert())) == 1
    assert "FIRING TaxiDurationDataDrift" in caplog.text
    assert posts.calls == ([] if sent is None else [(url, sent)])


def test_bridge_refuses_an_unknown_format():
    with pytest.raises(ValueError, match="ALERT_WEBHOOK_FORMAT: 'teams'"):
        alerts.Bridge("http://prefect:4200/api", "https://x", "teams")


@pytest.mark.parametrize(("text", "ok"), [("9095", True), ("0", False), ("70000", False), ("port", False)])
def test_listen_port(text, ok):
    if ok:
        assert alerts.listen_port(text) == int(text)
    else:
        with pytest.raises(ValueError, match="ALERT_BRIDGE_PORT"):
            alerts.listen_port(text)


@pytest.fixture
def served():
    """Serve a bridge (with a fake upstream) on a loopback port."""

    def start(posts):
        bridge = alerts.Bridge("http://p/api", "https://h", post=posts)
        server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(bridge))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    servers = []
    yield start
    for s in servers:
        s.shutdown()


def call(url, method="GET", body=None, headers=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "answer"),
    [
        ("GET", "/health", None, 200, "ok"),
        ("GET", "/", None, 404, "not found"),
        ("POST", "/prefect", json.dumps(payload(alert())).encode(), 200, 1),
        ("POST", "/notify", json.dumps(payload(alert(), alert("B"))).encode(), 200, 2),
        ("POST", "/other", b"{}", 404, "POST /prefect or /notify"),
        ("POST", "/prefect", b"{not json", 400, "not valid JSON"),
        ("POST", "/prefect", b'{"alerts": [{}]}', 400, "alerts[0].labels"),
    ],
)
def test_http(served, method, path, body, status, answer):
    got_status, got = call(served(Posts()) + path, method, body)
    assert got_status == status
    assert answer in (got.get("status"), got.get("delivered")) or answer in str(got.get("error"))


def test_http_upstream_failure_is_502_so_alertmanager_retries(served):
    status, got = call(
        served(Posts(fail=True)) + "/prefect",
        "POST",
        json.dumps(payload(alert())).encode(),
    )
    assert status == 502 and "connection refused" in got["error"]


def test_http_refuses_huge_bodies(served):
    status, got = call(
        served(Posts()) + "/notify",
        "POST",
        b"{}",
        {"content-length": str(MAX_BODY + 1)},
    )
    assert status == 413 and f"at most {MAX_BODY}" in got["error"]


def test_post_json_against_a_real_server():
    got = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            got.append(json.loads(self.rfile.read(int(self.headers["content-length"]))))
            code = 200 if self.path == "/ok" else 400
            self.send_response(code)
            self.end_headers()
            self.wfile.write(b"bad request body")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        alerts.post_json(base + "/ok", {"text": "hi"})
        assert got == [{"text": "hi"}]
        with pytest.raises(OSError, match="status 400: bad request body"):
            alerts.post_json(base + "/bad", [])
    finally:
        server.shutdown()
