"""PredictionLog appends every prediction to JSON-lines files for monitoring.

Each server process writes its own file per day
(PREDICTIONS_DIR/YYYY-MM-DD/HOST-PID.jsonl), buffered and flushed at least
every FLUSH_SECONDS, so logging costs no disk write per request.
"""

from __future__ import annotations

import json
import os
import socket
import time
from datetime import UTC, datetime
from pathlib import Path

FLUSH_SECONDS = 0.5
FLUSH_LINES = 512


class PredictionLog:
    """PredictionLog buffers prediction records and writes them in batches."""

    def __init__(self, root: str | Path, clock=time.time):
        self.root = Path(root)
        self.clock = clock
        self.name = f"{socket.gethostname()}-{os.getpid()}.jsonl"
        self._lines: list[str] = []
        self._last = clock()

    def record(self, pu: int, do: int, distance: float, duration: float, version: str) -> None:
        """Record one prediction (features, prediction, model version, time)."""
        now = self.clock()
        self._lines.append(
            json.dumps(
                {
                    "ts": round(now, 3),
                    "PULocationID": pu,
                    "DOLocationID": do,
                    "trip_distance": distance,
                    "prediction": round(duration, 4),
                    "model_version": version,
                }
            )
        )
        if len(self._lines) >= FLUSH_LINES or now - self._last >= FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        """Write buffered records to today's file."""
        self._last = self.clock()
        if not self._lines:
            return
        day = datetime.fromtimestamp(self._last, UTC).strftime("%Y-%m-%d")
        path = self.root / day / self.name
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as f:
            f.write("\n".join(self._lines) + "\n")
        self._lines.clear()


def read_predictions(root: str | Path, since: float = 0.0) -> list[dict]:
    """Read logged predictions newer than since (a Unix time)."""
    rows: list[dict] = []
    root = Path(root)
    if not root.exists():
        return rows
    first_day = datetime.fromtimestamp(since, UTC).strftime("%Y-%m-%d") if since else ""
    for day in sorted(p for p in root.iterdir() if p.is_dir() and p.name >= first_day):
        for path in sorted(day.glob("*.jsonl")):
            with path.open(encoding="utf-8") as f:
                for line in f:
                    line = line.strip()
                    if not line:
                        continue
                    try:
                        row = json.loads(line)
                    except json.JSONDecodeError:
                        continue  # a line cut short by a crash
                    if row.get("ts", 0) >= since:
                        rows.append(row)
    return rows
