import boto3
import pytest
from moto import mock_aws

from taxi_duration import incoming
from taxi_duration.incoming import Month


@pytest.mark.parametrize(
    ("name", "month"),
    [
        ("green_tripdata_2024-03.parquet", "2024-03"),
        ("yellow_2023-12.csv", "2023-12"),
        ("2024-01-relabelled-2024-02.parquet", "2024-02"),  # the last month named wins
        ("green_tripdata_2024-13.parquet", None),  # no such month
        ("green_tripdata_2024-03.parquet.part", None),  # still being written
        ("notes-2024-03.txt", None),
        ("trips-12024-03.parquet", None),
    ],
)
def test_month_of(name, month):
    assert incoming.month_of(name) == month


def test_local_months_and_history(tmp_path):
    known = [tmp_path / "sample" / f"green_tripdata_2024-0{m}.parquet" for m in (1, 2)]
    drop = tmp_path / "incoming"
    assert incoming.local_months(drop) == []  # not there yet
    drop.mkdir()
    for name in ("green_tripdata_2024-04.parquet", "green_tripdata_2024-02.parquet", "README.md"):
        (drop / name).write_bytes(b"x")
    (drop / "2024-05").mkdir()  # folders are not months
    found = incoming.local_months(drop)
    assert [m.month for m in found] == ["2024-02", "2024-04"]
    merged = incoming.history(known, found)
    assert [m.month for m in merged] == ["2024-01", "2024-02", "2024-04"]
    assert merged[1].source == str(drop / "green_tripdata_2024-02.parquet")  # the new file wins
    assert merged[0].name == "green_tripdata_2024-01.parquet"
    assert incoming.fetch(merged[0], tmp_path, None) == known[0]


@pytest.mark.parametrize(
    ("uri", "bucket", "prefix"),
    [("s3://data/incoming", "data", "incoming/"), ("s3://data/in/", "data", "in/"), ("s3://data", "data", "")],
)
def test_split_s3(uri, bucket, prefix):
    assert incoming.split_s3(uri) == (bucket, prefix)


@pytest.mark.parametrize("uri", ["data/incoming", "s3://", "https://bucket/x"])
def test_split_s3_names_the_setting(uri):
    with pytest.raises(ValueError, match="INCOMING_URI"):
        incoming.split_s3(uri)


@mock_aws
def test_months_on_s3(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    client = boto3.client("s3", region_name="us-east-1")
    client.create_bucket(Bucket="taxi")
    keys = ("incoming/green_tripdata_2024-03.parquet", "incoming/old/green_tripdata_2023-01.parquet", "incoming/x.txt")
    for key in keys:
        client.put_object(Bucket="taxi", Key=key, Body=b"month " + key.encode())
    found = incoming.s3_months("s3://taxi/incoming", client)
    assert found == [Month("2024-03", "s3://taxi/incoming/green_tripdata_2024-03.parquet")]
    path = incoming.fetch(found[0], tmp_path, client)
    assert path == tmp_path / "green_tripdata_2024-03.parquet"
    assert path.read_bytes() == b"month incoming/green_tripdata_2024-03.parquet"
    with pytest.raises(ValueError, match="no S3 client"):
        incoming.fetch(found[0], tmp_path, None)
