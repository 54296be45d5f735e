"""The model server: POST /predict, GET /health, GET /live, GET /metrics.

Run it with `python -m taxi_duration.serve` (uvicorn on HOST:PORT, default
0.0.0.0:9696 inside the container, SERVE_WORKERS processes). It loads
models:/taxi-duration@production and polls the registry every MODEL_POLL_SECONDS, switching to a newly promoted
version without a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from taxi_duration import metrics
from taxi_duration.features import RideError, check_ride
from taxi_duration.loader import ModelSource, RegistrySource
from taxi_duration.model import Scorer
from taxi_duration.predlog import FLUSH_SECONDS, PredictionLog
from taxi_duration.settings import Settings

log = logging.getLogger("taxi_duration.serve")
MAX_BATCH = 10_000


@dataclass(frozen=True)
class Current:
    """Current is the model being served; replaced whole when a new one loads."""

    version: str
    scorer: Scorer


class ModelHolder:
    """ModelHolder keeps the served model and swaps in the alias' new target."""

    def __init__(self, source: ModelSource):
        self.source = source
        self.current: Current | None = None

    def refresh(self) -> bool:
        """Load the alias' version when it changed; report whether it did."""
        version = self.source.current_version()
        if version is None or (self.current and self.current.version == version):
            return False
        loaded = self.source.load(version)
        scorer = Scorer(loaded.model)
        self.current = Current(version=loaded.version, scorer=scorer)
        metrics.MODEL_LOADED.set(1)
        with contextlib.suppress(ValueError):
            metrics.MODEL_VERSION.set(float(loaded.version))
        log.info("serving model version %s on the %s", loaded.version, scorer.path)
        settle_heap()
        return True


def settle_heap() -> None:
    """Collect what the previous model left and move everything alive now
    (the modules, the model) out of the collector's reach: a full
    collection then walks only what requests allocate, instead of pausing
    every request for the whole heap of mlflow, pandas and scikit-learn."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


class Predictor:
    """Predictor answers a /predict body: validation, scoring, metrics and
    the prediction log, as (HTTP status, JSON bytes)."""

    def __init__(self, holder: ModelHolder, predlog: PredictionLog | None):
        self.holder, self.predlog = holder, predlog
        self.latency = metrics.LATENCY.labels("predict")
        self.counters = {code: metrics.REQUESTS.labels("predict", str(code)) for code in (200, 400, 413, 422, 503)}
        self.observe_prediction = metrics.PREDICTIONS.observe

    def fail(self, code: int, message: str, t0: float) -> tuple[int, bytes]:
        """Count and time a refused request; its body names the problem."""
        self.counters[code].inc()
        self.latency.observe(time.perf_counter() - t0)
        return code, json.dumps({"error": message}).encode()

    def rides(self, data: object) -> list[tuple[int, int, float]]:
        """The checked rides of a body: one ride or a list; RideError names the field."""
        if not isinstance(data, list):
            return [check_ride(data)]
        if len(data) > MAX_BATCH:
            raise TooMany(f"body: at most {MAX_BATCH} rides per request, got {len(data)}")
        return [check_ride(r, f"[{i}].") for i, r in enumerate(data)]

    def __call__(self, body: bytes, t0: float) -> tuple[int, bytes]:
        """Answer one request body received at t0 (time.perf_counter)."""
        current = self.holder.current
        if current is None:
            return self.fail(503, "no model loaded yet: run the train job (make train)", t0)
        try:
            data = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return self.fail(400, "body: not valid JSON", t0)
        try:
            rides = self.rides(data)
        except TooMany as exc:
            return self.fail(413, str(exc), t0)
        except RideError as exc:
            return self.fail(422, str(exc), t0)
        score, version = current.scorer.predict_one, current.version
        predlog, observe = self.predlog, self.observe_prediction
        out = []
        for pu, do, d in rides:
            minutes = score(pu, do, d)
            observe(minutes)
            if predlog is not None:
                predlog.record(pu, do, d, minutes, version)
            out.append({"duration": minutes, "model_version": version})
        self.counters[200].inc()
        self.latency.observe(time.perf_counter() - t0)
        return 200, json.dumps(out if isinstance(data, list) else out[0]).encode()


class TooMany(Exception):
    """TooMany is a batch over MAX_BATCH rides."""


class PredictEndpoint:
    """PredictEndpoint is POST /predict as a bare ASGI app: it reads the
    body and sends the answer itself, with no Request or Response object
    per call (the route's share of the server's time, kept small)."""

    def __init__(self, answer: Callable[[bytes, float], tuple[int, bytes]]):
        self.answer = answer

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        """Answer one request."""
        t0 = time.perf_counter()
        chunks = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        status, payload = self.answer(b"".join(chunks), t0)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(payload))],
            }
        )
        await send({"type": "http.response.body", "body": payload})


def _json(status: int, payload: object) -> Response:
    return Response(json.dumps(payload), status_code=status, media_type="application/json")


def create_app(source: ModelSource, predlog: PredictionLog | None, poll_seconds: float = 10.0) -> Starlette:
    """Build the ASGI app; poll_seconds <= 0 disables the background reload."""
    holder = ModelHolder(source)

    async def health(request: Request) -> Response:
        current = holder.current
        if current is None:
            return _json(503, {"status": "waiting for a model", "model_version": None})
        return _json(
            200,
            {
                "status": "ok",
                "model_version": current.version,
                "fast_path": current.scorer.fast,
            },
        )

    async def live(request: Request) -> Response:
        return _json(200, {"status": "alive"})

    async def metrics_page(request: Request) -> Response:
        body, content_type = metrics.render()
        return Response(body, media_type=content_type)

    async def poll() -> None:
        while True:
            try:
                await asyncio.to_thread(holder.refresh)
            except Exception as exc:  # the registry may be restarting; keep serving
                log.warning("checking the registry: %s", exc)
            await asyncio.sleep(poll_seconds if holder.current else min(poll_seconds, 2.0))

    async def flush() -> None:
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            predlog.flush()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        tasks = []
        if poll_seconds > 0:
            tasks.append(asyncio.create_task(poll()))
        if predlog is not None:
            tasks.append(asyncio.create_task(flush()))
        try:
            yield
        finally:
            for t in tasks:
                t.cancel()
            if predlog is not None:
                predlog.flush()

    app = Starlette(
        routes=[
            Route("/predict", PredictEndpoint(Predictor(holder, predlog)), methods=["POST"]),
            Route("/health", health),
            Route("/live", live),
            Route("/metrics", metrics_page),
        ],
        lifespan=lifespan,
    )
    app.state.holder = holder
    return app


def _configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def app_from_env() -> Starlette:
    """Build the app from the environment (the uvicorn factory, run in each worker)."""
    _configure_logging()
    metrics.forget_dead_workers()
    s = Settings()
    source = RegistrySource(s.tracking_uri, s.model_name, s.model_alias)
    return create_app(source, PredictionLog(s.predictions_dir), s.poll_seconds)


def main() -> None:
    """Run the server with uvicorn."""
    import uvicorn

    _configure_logging()
    s = Settings()
    if s.workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="prometheus-")
    uvicorn.run(
        "taxi_duration.serve:app_from_env",
        factory=True,
        host=s.host,
        port=s.port,
        workers=s.workers,
        access_log=False,
        # uvloop's event loop and httptools' parser (both in uvicorn[standard]
        # and pinned in the lock), named so a missing one fails loudly
        # instead of falling back to the slower pure-Python pair.
        loop="uvloop",
        http="httptools",
        # Workers import mlflow and scikit-learn before answering the
        # supervisor's first ping: give slow machines time.
        timeout_worker_healthcheck=60,
        log_level="info",
    )


if __name__ == "__main__":
    main()
