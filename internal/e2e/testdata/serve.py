"""A stand-in model server for the end-to-end tests.

It answers /health with 200 and the model version once a training job has
written /models/version, and with 503 before.
"""

import http.server
import json
import pathlib

VERSION = pathlib.Path("/models/version")


class Handler(http.server.BaseHTTPRequestHandler):
    """Serves /health; everything else is 404."""

    def do_GET(self):  # noqa: N802 (the name http.server calls)
        """Answer the health probe."""
        if self.path != "/health":
            self.send_error(404)
            return
        ready = VERSION.exists()
        body = json.dumps({"model_version": VERSION.read_text().strip() if ready else None}).encode()
        self.send_response(200 if ready else 503)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # noqa: A002 (the signature http.server calls)
        """Log each request as one line on stdout."""
        print(format % args, flush=True)


if __name__ == "__main__":
    http.server.ThreadingHTTPServer(("0.0.0.0", 8000), Handler).serve_forever()
