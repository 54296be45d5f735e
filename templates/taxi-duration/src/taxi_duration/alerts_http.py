"""The alert bridge's HTTP side: routes, body limits, status codes."""

from __future__ import annotations

import json
import logging
from http.server import BaseHTTPRequestHandler
from typing import ClassVar, Protocol

log = logging.getLogger("taxi_duration.alerts")
MAX_BODY = 4 << 20  # Alertmanager sends every alert of a group in one body


class Receiver(Protocol):
    """Receiver is what the handler delivers payloads to (alerts.Bridge)."""

    def prefect(self, payload: object) -> int: ...

    def notify(self, payload: object) -> int: ...


def make_handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    """Return a request handler class that delivers to receiver."""

    class Handler(BaseHTTPRequestHandler):
        routes: ClassVar = {"/prefect": receiver.prefect, "/notify": receiver.notify}

        def do_GET(self) -> None:
            if self.path == "/health":
                self._answer(200, {"status": "ok"})
            else:
                self._answer(404, {"error": f"{self.path}: not found; POST /prefect or /notify, GET /health"})

        def do_POST(self) -> None:
            deliver = self.routes.get(self.path)
            if deliver is None:
                self._answer(404, {"error": f"{self.path}: not found; POST /prefect or /notify"})
                return
            length = int(self.headers.get("content-length") or 0)
            if length > MAX_BODY:
                self._answer(413, {"error": f"body: {length} bytes, at most {MAX_BODY}"})
                return
            try:
                payload = json.loads(self.rfile.read(length) or b"null")
                delivered = deliver(payload)
            except (json.JSONDecodeError, UnicodeDecodeError):
                self._answer(400, {"error": "body: not valid JSON"})
            except ValueError as exc:
                self._answer(400, {"error": str(exc)})
            except OSError as exc:
                log.error("delivering to %s: %s", self.path, exc)
                self._answer(502, {"error": str(exc)})
            else:
                self._answer(200, {"delivered": delivered})

        def _answer(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            log.debug("%s %s", self.address_string(), format % args)

    return Handler
