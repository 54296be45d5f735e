"""Where labelled months come from: the months the first model was trained
and validated on (TRAIN_DATA, VAL_DATA) plus the new ones dropped into
data/incoming/ (INCOMING_DIR), or listed under an S3 prefix
(INCOMING_URI=s3://bucket/prefix/) when the stack keeps its artifacts on S3.

A month is one TLC trip file, parquet or csv, whose name holds its month
(green_tripdata_2024-03.parquet). Files without a month in their name are
ignored; a new file for a month already known replaces the old one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

MONTH = re.compile(r"(?<!\d)(\d{4}-(?:0[1-9]|1[0-2]))(?!\d)")
SUFFIXES = (".parquet", ".csv")


@dataclass(frozen=True, order=True)
class Month:
    """Month is one labelled month of trips: its YYYY-MM and where it is
    (a local path or an s3:// URI)."""

    month: str
    source: str

    @property
    def name(self) -> str:
        """Name is the file name of the month's data."""
        return self.source.rsplit("/", 1)[-1]


class S3(Protocol):
    """S3 is the part of boto3's S3 client the incoming prefix needs."""

    def get_paginator(self, operation_name: str) -> Any: ...

    def download_file(self, bucket: str, key: str, filename: str) -> None: ...


def month_of(name: str) -> str | None:
    """Return the YYYY-MM in a file name, None when it names no month or
    is no trip file."""
    if not name.endswith(SUFFIXES):
        return None
    found = MONTH.findall(name)
    return found[-1] if found else None


def split_s3(uri: str) -> tuple[str, str]:
    """Split s3://bucket/prefix into bucket and prefix (ending in /)."""
    if not uri.startswith("s3://") or not uri[5:].split("/", 1)[0]:
        raise ValueError(f"INCOMING_URI: {uri!r} is not an S3 URI; write s3://bucket/prefix/")
    bucket, _, prefix = uri[5:].partition("/")
    return bucket, prefix if not prefix or prefix.endswith("/") else prefix + "/"


def local_months(folder: Path) -> list[Month]:
    """List the months in a folder (none when it does not exist)."""
    if not folder.is_dir():
        return []
    return [Month(m, str(p)) for p in sorted(folder.iterdir()) if p.is_file() and (m := month_of(p.name))]


def s3_months(uri: str, client: S3) -> list[Month]:
    """List the months under an S3 prefix (not its sub-folders)."""
    bucket, prefix = split_s3(uri)
    out = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
        for obj in page.get("Contents", []):
            if m := month_of(obj["Key"].rsplit("/", 1)[-1]):
                out.append(Month(m, f"s3://{bucket}/{obj['Key']}"))
    return out


def history(known: list[Path], incoming: list[Month]) -> list[Month]:
    """Merge the known files with the incoming months, oldest first; an
    incoming file wins over a known one for the same month."""
    by_month: dict[str, Month] = {}
    for path in known:
        if m := month_of(path.name):
            by_month[m] = Month(m, str(path))
    for month in sorted(incoming):
        by_month[month.month] = month
    return [by_month[m] for m in sorted(by_month)]


def fetch(month: Month, folder: Path, client: S3 | None) -> Path:
    """Return a local path to the month's data, downloading it from S3
    into folder when it lives there."""
    if not month.source.startswith("s3://"):
        return Path(month.source)
    if client is None:
        raise ValueError(f"{month.source}: no S3 client to download it with")
    bucket, _, key = month.source[5:].partition("/")
    path = folder / month.name
    client.download_file(bucket, key, str(path))
    return path


def s3_client() -> S3:
    """Return boto3's S3 client (credentials and endpoint from the
    environment: the instance role, AWS_* variables, AWS_ENDPOINT_URL_S3)."""
    import boto3

    return boto3.client("s3")
