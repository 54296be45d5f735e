import math

import pandas as pd
import pytest

from taxi_duration.features import RideError, check_ride, read_trips, ride_dicts

RIDE = {"PULocationID": 10, "DOLocationID": 50, "trip_distance": 40}


def test_read_trips_computes_duration_and_filters(tmp_path):
    df = pd.DataFrame(
        {
            "lpep_pickup_datetime": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:00", "2024-01-01 10:00"]),
            "lpep_dropoff_datetime": pd.to_datetime(
                ["2024-01-01 10:12:00", "2024-01-01 10:00:30", "2024-01-01 12:00:00"]
            ),
            "PULocationID": [10, 11, 12],
            "DOLocationID": [50, 51, 52],
            "trip_distance": [3.5, 0.1, 30.0],
        }
    )
    path = tmp_path / "t.parquet"
    df.to_parquet(path)
    out = read_trips(path)
    assert list(out.columns) == [
        "PULocationID",
        "DOLocationID",
        "trip_distance",
        "duration",
    ]
    assert len(out) == 1  # 30 s and 120 min are outside 1-60 minutes
    assert out.duration[0] == pytest.approx(12.0)


def test_read_trips_names_missing_columns(tmp_path):
    path = tmp_path / "t.csv"
    pd.DataFrame({"PULocationID": [1]}).to_csv(path, index=False)
    with pytest.raises(ValueError, match="lpep_pickup_datetime"):
        read_trips(path)


def test_read_trips_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="make data"):
        read_trips(tmp_path / "nope.parquet")


def test_ride_dicts_from_frame_and_dicts():
    frame = pd.DataFrame([RIDE])
    assert ride_dicts(frame) == [{"PU_DO": "10_50", "trip_distance": 40.0}]
    assert ride_dicts([RIDE]) == ride_dicts(frame)


def test_check_ride_accepts_the_course_ride():
    assert check_ride(RIDE) == (10, 50, 40.0)
    assert check_ride({**RIDE, "PULocationID": 10.0}) == (10, 50, 40.0)


@pytest.mark.parametrize(
    "ride, field",
    [
        ({"DOLocationID": 50, "trip_distance": 1}, "PULocationID: required"),
        ({**RIDE, "PULocationID": "10"}, "PULocationID: must be a whole number"),
        ({**RIDE, "DOLocationID": True}, "DOLocationID: must be a whole number"),
        ({**RIDE, "DOLocationID": 2.5}, "DOLocationID: must be a whole number"),
        ({**RIDE, "PULocationID": 0}, "PULocationID: must be a TLC zone id"),
        ({"PULocationID": 1, "DOLocationID": 2}, "trip_distance: required"),
        ({**RIDE, "trip_distance": "far"}, "trip_distance: must be a number"),
        ({**RIDE, "trip_distance": math.nan}, "trip_distance: must be a number"),
        ({**RIDE, "trip_distance": -1}, "trip_distance: must be between"),
        ([1, 2], "body: must be a JSON object"),
    ],
)
def test_check_ride_names_the_bad_field(ride, field):
    with pytest.raises(RideError, match=field):
        check_ride(ride)
