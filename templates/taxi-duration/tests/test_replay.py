import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from taxi_duration import replay


@pytest.fixture
def server():
    """A stand-in model server recording the batches it gets."""
    batches = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            if self.path != "/predict" or not isinstance(body, list):
                self.send_response(422)
                self.end_headers()
                self.wfile.write(b"body: want a list of rides")
                return
            batches.append(body)
            out = json.dumps([{"duration": 10.0 + r["trip_distance"], "model_version": "3"} for r in body]).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *args):
            pass

    httpd = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", batches
    httpd.shutdown()


def test_rides_are_requests(trips_files):
    got = replay.rides(trips_files[1], 50)
    assert len(got) == 50
    assert set(got[0]) == {"PULocationID", "DOLocationID", "trip_distance"}
    assert all(isinstance(r["PULocationID"], int) and r["trip_distance"] > 0 for r in got)
    assert replay.rides(trips_files[1], 50) == got  # the same sample each time


def test_replay_sends_batches(server, trips_files, capsys):
    url, batches = server
    assert replay.main(["--rows", "250", "--data", str(trips_files[1]), "--url", url]) == 0
    assert [len(b) for b in batches] == [100, 100, 50]
    out = capsys.readouterr().out
    assert "replayed 250 rides" in out and "model version 3" in out


def test_replay_names_the_server_when_down(trips_files, capsys):
    url = "http://127.0.0.1:9"  # discard port: nothing answers HTTP there
    assert replay.main(["--rows", "5", "--data", str(trips_files[1]), "--url", url]) == 1
    err = capsys.readouterr().err
    assert url in err and "mlforge up" in err


def test_replay_names_a_missing_file(tmp_path, capsys):
    assert replay.main(["--data", str(tmp_path / "nope.parquet")]) == 1
    assert "nope.parquet: no such data file" in capsys.readouterr().err


def test_rows_must_be_positive(capsys):
    with pytest.raises(SystemExit) as exc:
        replay.main(["--rows", "0"])
    assert exc.value.code == 2
    assert "--rows" in capsys.readouterr().err
