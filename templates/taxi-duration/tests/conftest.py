"""Shared fixtures: tiny generated trip data, a fitted model, a stand-in
pushgateway and a throwaway Prefect server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest

from taxi_duration.features import RIDE_FIELDS, TARGET, read_trips
from taxi_duration.model import build_pipeline
from taxi_duration.sample import generate


@pytest.fixture(scope="session")
def trips_files(tmp_path_factory) -> tuple:
    """Two small months of generated trips as parquet files."""
    root = tmp_path_factory.mktemp("data")
    paths = []
    for i, month in enumerate(("2024-01", "2024-02")):
        path = root / f"green_tripdata_{month}.parquet"
        generate(month, 600, seed=10 + i).to_parquet(path, index=False)
        paths.append(path)
    return tuple(paths)


@pytest.fixture(scope="session")
def trips(trips_files) -> pd.DataFrame:
    return read_trips(trips_files[0])


@pytest.fixture(scope="session")
def fitted(trips):
    """A pipeline fitted on the tiny training month."""
    pipeline = build_pipeline()
    pipeline.fit(trips[list(RIDE_FIELDS)], trips[TARGET])
    return pipeline


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Pushgateway:
    """Pushgateway is a hand-written stand-in for the Prometheus pushgateway:
    it keeps every push (method, path, body) and answers as the real one."""

    def __init__(self):
        self.pushes: list[tuple[str, str, str]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _push(self):
                body = self.rfile.read(int(self.headers.get("content-length") or 0)).decode()
                owner.pushes.append((self.command, self.path, body))
                self.send_response(200)
                self.end_headers()

            do_PUT = do_POST = _push

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def bodies(self, method: str) -> list[str]:
        return [body for m, _, body in self.pushes if m == method]


@pytest.fixture
def pushgateway():
    gateway = Pushgateway()
    yield gateway
    gateway.server.shutdown()


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory):
    """A throwaway Prefect server (the real one, SQLite in a temporary
    folder, no telemetry) for the flow tests; its API URL."""
    home = tmp_path_factory.mktemp("prefect")
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = os.environ | {
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": api,
        "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home}/prefect.db",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_UI_ENABLED": "false",
    }
    log = (home / "server.log").open("w")
    prefect = Path(sys.executable).with_name("prefect")
    cmd = [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{api}/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Prefect server did not start:\n{(home / 'server.log').read_text()[-3000:]}")
            time.sleep(0.5)
        from prefect.settings import PREFECT_API_URL, PREFECT_HOME, temporary_settings

        with temporary_settings({PREFECT_API_URL: api, PREFECT_HOME: str(home)}):
            yield api
            # Send the last logs and events while the server still answers.
            from prefect.events.worker import EventsWorker
            from prefect.logging.handlers import APILogWorker

            APILogWorker.drain_all(timeout=15)
            EventsWorker.drain_all(timeout=15)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
