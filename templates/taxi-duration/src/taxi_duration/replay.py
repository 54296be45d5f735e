"""Replay rides from a TLC trip file against the model server: traffic for
the monitor to compare with the training reference (the course's
send-data script, as a job).

    python -m taxi_duration.replay [--rows 500] [--data PATH] [--url URL]
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from pathlib import Path

from taxi_duration.features import RIDE_FIELDS, read_trips
from taxi_duration.settings import Settings

BATCH = 100  # rides per request, under the server's batch limit


def rides(path: str | Path, rows: int, seed: int = 1) -> list[dict]:
    """Sample up to rows rides (the request fields only) from a trip file."""
    trips = read_trips(path)
    if len(trips) > rows:
        trips = trips.sample(rows, random_state=seed)
    return [
        {
            "PULocationID": int(t.PULocationID),
            "DOLocationID": int(t.DOLocationID),
            "trip_distance": float(t.trip_distance),
        }
        for t in trips[list(RIDE_FIELDS)].itertuples(index=False)
    ]


def post(url: str, batch: list[dict], timeout: float = 30) -> list[dict]:
    """POST a batch of rides to url/predict and return the predictions."""
    req = urllib.request.Request(
        url.rstrip("/") + "/predict",
        data=json.dumps(batch).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        raise ValueError(f"{url}/predict answered {exc.code}: {exc.read().decode(errors='replace')}") from exc
    except urllib.error.URLError as exc:
        raise ValueError(f"{url}/predict: {exc.reason} (is the model server up? mlforge up)") from exc


def replay(url: str, all_rides: list[dict]) -> list[dict]:
    """Send the rides in batches; return every prediction."""
    out: list[dict] = []
    for i in range(0, len(all_rides), BATCH):
        out.extend(post(url, all_rides[i : i + BATCH]))
    return out


def main(argv: list[str] | None = None) -> int:
    """Entry point of the replay job."""
    s = Settings()
    p = argparse.ArgumentParser(prog="replay", description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=500, help="rides to send (default 500)")
    p.add_argument("--data", default=str(s.val_data), help=f"trip file (default {s.val_data})")
    p.add_argument("--url", default=s.serve_url, help=f"model server (default {s.serve_url})")
    args = p.parse_args(argv)
    if args.rows < 1:
        p.error("--rows: give a positive number of rides")
    try:
        sent = rides(args.data, args.rows)
        preds = replay(args.url, sent)
    except (FileNotFoundError, ValueError) as exc:
        print(f"replay: {exc}", file=sys.stderr)
        return 1
    mean = sum(p["duration"] for p in preds) / len(preds)
    versions = sorted({p["model_version"] for p in preds})
    print(
        f"replayed {len(sent)} rides from {args.data} to {args.url}: "
        f"mean predicted duration {mean:.1f} min (model version {', '.join(versions)})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
