"""Download real NYC TLC green-taxi monthly files into data/raw/.

python -m taxi_duration.data 2024-01 2024-02
TLC_URL=https://mirror.example/trip-data python -m taxi_duration.data 2024-03
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import urllib.request
from pathlib import Path

DEFAULT_URL = "https://d37ci6vzurychx.cloudfront.net/trip-data"
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def url_for(month: str, base: str = DEFAULT_URL, color: str = "green") -> str:
    """Return the TLC file URL for month (YYYY-MM)."""
    if not MONTH.match(month):
        raise ValueError(f"month {month!r}: expected YYYY-MM, e.g. 2024-01")
    return f"{base.rstrip('/')}/{color}_tripdata_{month}.parquet"


def download(month: str, out: Path, base: str) -> Path:
    """Fetch one month unless it is already there; write atomically."""
    path = out / f"green_tripdata_{month}.parquet"
    if path.exists():
        print(f"{path}: present")
        return path
    out.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    with (
        urllib.request.urlopen(url_for(month, base), timeout=60) as resp,
        tmp.open("wb") as f,
    ):
        while chunk := resp.read(1 << 20):
            f.write(chunk)
    tmp.replace(path)
    print(f"{path}: downloaded")
    return path


def main(argv: list[str] | None = None) -> int:
    """Entry point of `make data`."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("months", nargs="*", default=["2024-01", "2024-02"])
    p.add_argument("--out", type=Path, default=Path("data/raw"))
    p.add_argument(
        "--url",
        default=os.environ.get("TLC_URL", DEFAULT_URL),
        help="base URL of the trip-data files",
    )
    args = p.parse_args(argv)
    try:
        for month in args.months:
            download(month, args.out, args.url)
    except (ValueError, OSError) as exc:
        print(f"data: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
