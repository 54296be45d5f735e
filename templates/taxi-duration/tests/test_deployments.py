from datetime import timedelta

import pytest
from prefect.client.schemas.objects import ConcurrencyLimitStrategy

from taxi_duration import deployments, workercheck
from taxi_duration.settings import Settings


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1h", 3600),
        ("15m", 900),
        ("30s", 30),
        ("2d", 172800),
        ("3600", 3600),
        (" 20s ", 20),
    ],
)
def test_parse_interval(text, seconds):
    assert deployments.parse_interval(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("hourly", "not an interval"),
        ("0h", "not an interval"),
        ("1.5h", "not an interval"),
        ("5s", "shorter than 10s"),
    ],
)
def test_parse_interval_names_the_setting(text, error):
    with pytest.raises(ValueError, match=f"MONITOR_INTERVAL: .*{error}"):
        deployments.parse_interval(text)


def test_build():
    built = {d.name: d for d in deployments.build(Settings(monitor_interval="20s"))}
    assert sorted(f"{d.flow_name}/{name}" for name, d in built.items()) == sorted(workercheck.DEPLOYMENTS)
    for d in built.values():
        assert d.concurrency_limit == 1
        assert d.concurrency_options.collision_strategy == ConcurrencyLimitStrategy.CANCEL_NEW
        assert d.entrypoint == f"taxi_duration.flows.{d.flow_name}"  # a module path: any working directory
    (schedule,) = built["monitor"].schedules
    assert schedule.schedule.interval == timedelta(seconds=20)
    assert not built["train"].schedules and not built["retrain"].schedules
    (trigger,) = built["retrain"].triggers
    assert trigger.expect == {deployments.ALERT_EVENT}
    assert trigger.match.root == {
        "prefect.resource.id": "alertmanager.alert.*",
        "action": "retrain",
    }
    assert "alertname" in trigger.parameters["trigger"]


def test_build_refuses_a_bad_interval():
    with pytest.raises(ValueError, match="MONITOR_INTERVAL"):
        deployments.build(Settings(monitor_interval="soon"))


def healthy() -> dict:
    ready = {"status": "READY", "paused": False, "schedules": []}
    return {
        "/deployments/name/train/train": {"id": "t", **ready},
        "/deployments/name/monitor/monitor": {
            "id": "m",
            **ready,
            "schedules": [{"active": True}],
        },
        "/deployments/name/retrain/retrain": {"id": "r", **ready},
        "/automations/related-to/prefect.deployment.r": [{"name": "retrain on alert", "enabled": True}],
    }


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({}, None),
        (
            {"/deployments/name/train/train": None},
            "deployment train/train is not registered",
        ),
        (
            {"/deployments/name/train/train": {"id": "t", "status": "NOT_READY"}},
            "train/train is NOT_READY",
        ),
        (
            {
                "/deployments/name/monitor/monitor": {
                    "id": "m",
                    "status": "READY",
                    "paused": True,
                    "schedules": [],
                }
            },
            "monitor/monitor has no active schedule",
        ),
        (
            {"/automations/related-to/prefect.deployment.r": []},
            "retrain/retrain has no enabled trigger",
        ),
    ],
)
def test_worker_check(change, problem):
    answers = healthy() | change
    found = workercheck.problems(answers.get)
    assert found == ([] if problem is None else [p for p in found if problem in p]) and (problem is None or found)


def test_worker_check_main_reports_an_unreachable_server(monkeypatch, capsys):
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    assert workercheck.main() == 1
    assert "http://127.0.0.1:9/api" in capsys.readouterr().err
