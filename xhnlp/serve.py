"""``xhnlp serve``: the tagger as a small HTTP inference API (FastAPI + uvicorn, ``pip install "xhnlp[serve]"``).

Routes (shape after Hugging Face's text-embeddings-inference):

- ``POST /v1/predict`` ``{"sentences": [str, …], "sections": [[str, …], …]?}`` → ``{"results": [{area,
  area_score, area_probs, type, type_score, type_probs, strength, targets}, …]}`` in input order
  (:meth:`xhnlp.Tagger.tag_sentences`: a sentence with nothing to label gets None labels);
- ``POST /v1/tag`` ``{"text": str, "doc": str?}`` → ``{"rows": [...]}``: the CLI's JSONL rows
  (:meth:`xhnlp.TaggedPiece.to_dict`);
- ``POST /v1/targets`` ``{"text": str, "doc": str?}`` → ``{"targets": [...]}``: the rows of
  ``xhnlp targets``, offsets into the text;
- ``GET /health`` (200 once the model is loaded, 503 before), ``GET /info``, ``GET /metrics``
  (Prometheus text format), ``GET /docs`` (OpenAPI, generated; the schema at ``/openapi.json``).

The model is chosen when the server starts and is loaded once, in the one worker thread that runs
every model call; requests never name a model or a file. Sentences of concurrent ``/v1/predict``
requests are batched together (up to ``max_batch`` sentences, waiting at most ``max_wait_ms`` for
more) into one model call, so the event loop only parses, queues and answers. The queue of waiting
requests is bounded: when it is full the answer is 503 with ``Retry-After``.

Every error is one JSON body ``{"error": message, "error_type": kind}``: 401 (API key), 404, 405,
413 (body over ``max_bytes`` or more sentences than ``max_batch``), 422 (invalid JSON, wrong types,
empty list, invalid Unicode), 503 (loading, overloaded), 500 (a bug; the traceback goes to the
server's log only). SIGTERM (or Ctrl+C) stops accepting connections, finishes the requests in
flight and exits 0.
"""
from __future__ import annotations

import asyncio
import bisect
import hmac
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections import deque
from contextlib import asynccontextmanager
from pathlib import Path

import uvicorn
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import __version__
from .models import SHIPPED, ModelError, default_model_name, fingerprint, resolve
from .tagger import TaggedPiece
from .targets import Target

log = logging.getLogger("uvicorn.error")  # uvicorn's own format and level

PREDICT_FIELDS = ("area", "area_score", "area_probs", "type", "type_score", "type_probs", "strength", "targets")
PUBLIC_PATHS = frozenset({"/health", "/docs", "/docs/oauth2-redirect", "/openapi.json"})  # no API key needed
ROUTES = ("/v1/predict", "/v1/tag", "/v1/targets", "/health", "/info", "/metrics", "/docs", "/openapi.json")
ERROR_TYPES = {400: "bad_request", 401: "unauthorized", 404: "not_found", 405: "method_not_allowed",
               413: "payload_too_large", 422: "validation", 500: "internal", 503: "overloaded"}
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
DRAIN_MIN = 16 << 20  # an oversized body up to this (or 4 x max_bytes) is read and dropped before the 413


# --- errors and JSON ------------------------------------------------------------------------------
class ApiError(Exception):
    """An answer other than 200: status, one-line message, kind, extra headers."""

    def __init__(self, status: int, message: str, error_type: str | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message = status, message
        self.error_type = error_type or ERROR_TYPES.get(status, "error")
        self.headers = headers or {}


def dumps(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


class JSONBytes(Response):
    media_type = "application/json"


def error_response(err: ApiError) -> Response:
    return JSONBytes(dumps({"error": err.message, "error_type": err.error_type}), status_code=err.status,
                     headers=err.headers)


async def send_error(send, err: ApiError, close: bool = False) -> None:
    """The error body straight on the ASGI ``send`` (for answers given before the app runs)."""
    body = dumps({"error": err.message, "error_type": err.error_type})
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), str(v).encode()) for k, v in err.headers.items()]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": err.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


# --- request and response schemas (validation, and the OpenAPI page) -----------------------------------
class PredictRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    sentences: list[str] = Field(min_length=1, description="sentences to label, as they are (no segmentation)",
                                 examples=[["全年地区生产总值增长5%左右。"]])
    sections: list[list[str]] | None = Field(
        None, description="optional heading path of each sentence (one list of headings per sentence)")


class TextRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    text: str = Field(description="a whole report (segmented into headings and sentences by the server)")
    doc: str | None = Field(None, description="a document id copied into every row (a label only, never opened)")


class PredictResult(BaseModel):
    area: str | None
    area_score: float | None
    area_probs: dict[str, float]
    type: str | None
    type_score: float | None
    type_probs: dict[str, float]
    strength: str | None
    targets: list[Target]


class PredictResponse(BaseModel):
    results: list[PredictResult]


class TagResponse(BaseModel):
    rows: list[TaggedPiece]


class TargetRow(BaseModel):
    doc: str | None
    index: int
    sentence: str
    area: str | None
    type: str | None
    strength: str | None
    indicator: str
    comparator: str
    value: float
    value_max: float | None
    value_text: str
    unit: str
    approx: bool
    start: int = Field(description="offset of the number and unit in the text")
    end: int


class TargetsResponse(BaseModel):
    targets: list[TargetRow]


class ErrorBody(BaseModel):
    error: str
    error_type: str


def body_schema(model: type[BaseModel]) -> dict:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": model.model_json_schema()}}}}


ERROR_RESPONSES = {code: {"model": ErrorBody} for code in (401, 413, 422, 503)}


def _where(loc) -> str:
    return ".".join(str(p) for p in loc) or "body"


def parse(body: bytes, model: type[BaseModel]):
    """The request ``model`` from a JSON body, or ApiError 422 with a readable message."""
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise ApiError(422, f"the body is not valid UTF-8 (byte {e.start})") from None
    except json.JSONDecodeError as e:
        raise ApiError(422, f"invalid JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
    except RecursionError:
        raise ApiError(422, "invalid JSON: nested too deeply") from None
    except ValueError:  # an integer of more digits than Python converts
        raise ApiError(422, "invalid JSON: a number too long to read") from None
    if not isinstance(data, dict):
        raise ApiError(422, f"the body must be a JSON object ({{...}}), not {type(data).__name__}")
    try:
        return data, model.model_validate(data)
    except ValidationError as e:
        problems = [f"{_where(x['loc'])}: {x['msg']}" for x in e.errors(include_url=False)[:3]]
        more = f" (and {e.error_count() - 3} more)" if e.error_count() > 3 else ""
        raise ApiError(422, "; ".join(problems) + more) from None


def check_unicode(what: str, texts, indexed: bool = True) -> None:
    """Lone surrogates (``"\\ud800"`` in JSON) are not text: refuse them rather than fail to answer."""
    for i, t in enumerate(texts):
        try:
            t.encode("utf-8")
        except UnicodeEncodeError as e:
            where = f"{what}.{i}" if indexed else what
            raise ApiError(422, f"{where}: invalid Unicode (a lone surrogate at character {e.start})") from None


# --- metrics ------------------------------------------------------------------------------------------
class Histogram:
    def __init__(self, buckets):
        self.buckets = tuple(buckets)
        self.counts = [0] * (len(self.buckets) + 1)
        self.sum = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.buckets, value)] += 1
        self.sum += value
        self.count += 1

    def lines(self, name: str, labels: str = "") -> list[str]:
        sep = "," if labels else ""
        out, total = [], 0
        for le, n in zip((*map(_num, self.buckets), "+Inf"), self.counts):
            total += n
            out.append(f'{name}_bucket{{{labels}{sep}le="{le}"}} {total}')
        tail = f"{{{labels}}}" if labels else ""
        return out + [f"{name}_sum{tail} {_num(self.sum)}", f"{name}_count{tail} {self.count}"]


def _num(x) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


class Metrics:
    """Counters for ``/metrics``; updated from the event loop and the worker thread."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests: dict[tuple[str, int], int] = {}
        self.latency: dict[str, Histogram] = {}
        self.batch_size = Histogram(BATCH_BUCKETS)
        self.model_seconds: dict[str, Histogram] = {}
        self.queue_seconds = Histogram(LATENCY_BUCKETS)
        self.sentences = 0
        self.inflight = 0

    def request(self, route: str, status: int, seconds: float) -> None:
        with self.lock:
            self.requests[(route, status)] = self.requests.get((route, status), 0) + 1
            self.latency.setdefault(route, Histogram(LATENCY_BUCKETS)).observe(seconds)

    def model_call(self, kind: str, seconds: float, sentences: int | None, waited: list[float]) -> None:
        with self.lock:
            self.model_seconds.setdefault(kind, Histogram(LATENCY_BUCKETS)).observe(seconds)
            for w in waited:
                self.queue_seconds.observe(w)
            if sentences is not None:
                self.batch_size.observe(sentences)
                self.sentences += sentences

    def render(self, service: "Service") -> str:
        out: list[str] = []

        def family(name, kind, help_):
            out.append(f"# HELP {name} {help_}")
            out.append(f"# TYPE {name} {kind}")

        with self.lock:
            family("xhnlp_requests_total", "counter", "HTTP requests answered, by route and status code.")
            for (route, code), n in sorted(self.requests.items()):
                out.append(f'xhnlp_requests_total{{route="{route}",code="{code}"}} {n}')
            family("xhnlp_request_duration_seconds", "histogram", "Time from request to answer, by route.")
            for route, h in sorted(self.latency.items()):
                out += h.lines("xhnlp_request_duration_seconds", f'route="{route}"')
            family("xhnlp_batch_size", "histogram", "Sentences per model call of /v1/predict (micro-batches).")
            out += self.batch_size.lines("xhnlp_batch_size")
            family("xhnlp_model_call_seconds", "histogram", "Duration of model calls in the worker thread, by route.")
            for kind, h in sorted(self.model_seconds.items()):
                out += h.lines("xhnlp_model_call_seconds", f'kind="{kind}"')
            family("xhnlp_queue_wait_seconds", "histogram", "Time a request waited in the queue before its model call.")
            out += self.queue_seconds.lines("xhnlp_queue_wait_seconds")
            family("xhnlp_predict_sentences_total", "counter", "Sentences labelled through /v1/predict.")
            out.append(f"xhnlp_predict_sentences_total {self.sentences}")
            inflight = self.inflight
        family("xhnlp_queue_depth", "gauge", "Requests waiting for the model worker.")
        out.append(f"xhnlp_queue_depth {service.batcher.depth()}")
        family("xhnlp_queue_capacity", "gauge", "Requests the queue holds before answering 503.")
        out.append(f"xhnlp_queue_capacity {service.max_queue}")
        family("xhnlp_requests_in_flight", "gauge", "HTTP requests being handled.")
        out.append(f"xhnlp_requests_in_flight {inflight}")
        family("xhnlp_model_loaded", "gauge", "1 once the model is loaded.")
        out.append(f"xhnlp_model_loaded {int(service.ready)}")
        return "\n".join(out) + "\n"


# --- the model worker: one thread, micro-batches ---------------------------------------------------------
class Job:
    __slots__ = ("kind", "payload", "size", "loop", "future", "queued")

    def __init__(self, kind, payload, size, loop, future):
        self.kind, self.payload, self.size, self.loop, self.future = kind, payload, size, loop, future
        self.queued = time.monotonic()


def _resolve(future: asyncio.Future, result, error) -> None:
    if future.done():  # the client went away and its request was cancelled
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


class Batcher:
    """A bounded FIFO of jobs and the one thread that loads the model and runs every model call.

    Consecutive ``predict`` jobs are taken together while their sentences fit in ``max_batch``; when
    the first one has waited less than ``max_wait`` seconds the worker waits for more to arrive
    (up to that time, or until the batch is full), unless every request in flight (``in_flight``) is
    already queued: a lone client pays no wait. ``tag``/``targets`` jobs run alone."""

    def __init__(self, load, max_batch: int, max_queue: int, max_wait: float, metrics: Metrics, on_fatal=None,
                 in_flight=None):
        self.load, self.max_batch, self.max_queue, self.max_wait = load, max_batch, max_queue, max_wait
        self.in_flight = in_flight  # () -> HTTP requests being handled, queued ones included (None: unknown)
        self.metrics, self.on_fatal = metrics, on_fatal
        self.cond = threading.Condition()
        self.queue: deque[Job] = deque()
        self.tagger = None
        self.error: str | None = None
        self.ready = threading.Event()
        self.stopping = False
        self.thread = threading.Thread(target=self._run, name="xhnlp-model", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self, timeout: float | None = 60.0) -> None:
        """Finish the queued jobs, then end the thread (when it is still loading, leave it: it is a daemon)."""
        with self.cond:
            self.stopping = True
            self.cond.notify_all()
        if self.ready.is_set() and self.thread.is_alive():
            self.thread.join(timeout)

    def depth(self) -> int:
        return len(self.queue)

    def submit(self, kind: str, payload, size: int = 0) -> asyncio.Future:
        """Queue a job (from the event loop); its future gets the result. ApiError 503 when full or stopping."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        with self.cond:
            if self.stopping:
                raise ApiError(503, "the server is shutting down", "unhealthy")
            if len(self.queue) >= self.max_queue:
                raise ApiError(503, f"overloaded: {len(self.queue)} requests are waiting (--max-queue "
                               f"{self.max_queue}); retry shortly", "overloaded", {"Retry-After": "1"})
            self.queue.append(Job(kind, payload, size, loop, future))
            self.cond.notify()
        return future

    # worker thread
    def _run(self) -> None:
        try:
            self.tagger = self.load()
        except Exception as e:
            self.error = str(e) if isinstance(e, ModelError) else f"cannot load the model: {type(e).__name__}: {e}"
            if self.on_fatal:  # the command line prints the error and exits 2
                self.on_fatal()
            return
        self.ready.set()
        while (jobs := self._take()) is not None:
            self._execute(jobs)

    def _leading(self) -> tuple[int, bool]:
        """Sentences of the predict jobs at the head of the queue, and whether another kind follows them."""
        n = 0
        for job in self.queue:
            if job.kind != "predict":
                return n, True
            n += job.size
        return n, False

    def _take(self) -> list[Job] | None:
        with self.cond:
            while not self.queue:
                if self.stopping:
                    return None
                self.cond.wait()
            first = self.queue[0]
            if first.kind == "predict":
                deadline = first.queued + self.max_wait
                while not self.stopping:
                    n, blocked = self._leading()
                    left = deadline - time.monotonic()
                    alone = self.in_flight is not None and self.in_flight() <= len(self.queue)
                    if n >= self.max_batch or blocked or left <= 0 or alone:
                        break
                    self.cond.wait(left)
            jobs = [self.queue.popleft()]
            if first.kind == "predict":
                total = first.size
                while self.queue and self.queue[0].kind == "predict" and total + self.queue[0].size <= self.max_batch:
                    total += self.queue[0].size
                    jobs.append(self.queue.popleft())
            return jobs

    def _execute(self, jobs: list[Job]) -> None:
        t0 = time.monotonic()
        waited = [t0 - j.queued for j in jobs]
        try:
            results = self._run_jobs(jobs)
        except Exception as e:
            if len(jobs) > 1:  # find the culprit: the others still get their answers
                for job in jobs:
                    self._execute([job])
                return
            log.exception("model call failed (%s)", jobs[0].kind)
            results, error = [None], e
        else:
            error = None
        self.metrics.model_call(jobs[0].kind, time.monotonic() - t0,
                                sum(j.size for j in jobs) if jobs[0].kind == "predict" else None, waited)
        for job, result in zip(jobs, results):
            try:
                job.loop.call_soon_threadsafe(_resolve, job.future, result, error)
            except RuntimeError:  # the event loop is closed
                pass

    def _run_jobs(self, jobs: list[Job]) -> list:
        tagger = self.tagger
        kind = jobs[0].kind
        if kind == "tag":
            text, doc = jobs[0].payload
            return [[p.to_dict() for p in tagger.iter_tag(text, doc=doc)]]
        if kind == "targets":
            from .cli import _target_rows

            text, doc = jobs[0].payload
            return [list(_target_rows(p.to_dict() for p in tagger.iter_tag(text, doc=doc)))]
        if tagger.smoothing and len(jobs) > 1:
            # a model that smooths over the sentences of a call: keep each request's sentences apart
            pieces = [tagger.tag_sentences(s, sections=sec) for s, sec in (j.payload for j in jobs)]
        else:
            sentences, sections = [], []
            for job in jobs:
                s, sec = job.payload
                sentences += s
                sections += [()] * len(s) if sec is None else sec
            with_sections = any(j.payload[1] is not None for j in jobs)
            doc = tagger.tag_sentences(sentences, sections=sections if with_sections else None)
            pieces, k = [], 0
            for job in jobs:
                pieces.append(doc[k:k + job.size])
                k += job.size
        return [[_result(p) for p in ps] for ps in pieces]


def _result(piece: TaggedPiece) -> dict:
    d = piece.to_dict()
    return {k: d[k] for k in PREDICT_FIELDS}


# --- the service and its app --------------------------------------------------------------------------
class Service:
    """One server's settings, model worker and metrics. ``load``: a callable returning a Tagger (tests)."""

    def __init__(self, model: str | None = None, *, max_batch: int = 64, max_bytes: int = 2_000_000,
                 max_queue: int = 128, max_wait_ms: float = 2.0, api_key: str | None = None, load=None):
        if min(max_batch, max_bytes, max_queue) < 1 or max_wait_ms < 0:
            raise ValueError("max_batch, max_bytes and max_queue must be at least 1, max_wait_ms at least 0")
        self.model = model
        self.model_dir = resolve(model)  # ModelError for an unknown name, before anything is bound
        shipped = model is None or (isinstance(model, str) and model in SHIPPED)
        self.model_name = (model or default_model_name()) if shipped else Path(model).name
        self.max_batch, self.max_bytes, self.max_queue, self.max_wait_ms = max_batch, max_bytes, max_queue, max_wait_ms
        self.api_key = api_key.encode() if api_key else None
        self.fingerprint: str | None = None
        self.metrics = Metrics()
        self._load = load
        self.on_fatal = None
        self.batcher = Batcher(self._load_model, max_batch, max_queue, max_wait_ms / 1000, self.metrics,
                               on_fatal=lambda: self.on_fatal and self.on_fatal(),
                               in_flight=lambda: self.metrics.inflight)

    def _load_model(self):
        from .tagger import Tagger

        t0 = time.time()
        tagger = self._load() if self._load else Tagger.load(self.model)
        self.fingerprint = fingerprint(self.model_dir)
        tagger.tag_sentences(["全年经济社会发展的主要预期目标是：地区生产总值增长5%左右。"])  # warm up
        log.info("model %s (%s, fingerprint %s) loaded in %.1fs", self.model_name,
                 getattr(tagger.model, "model_type", type(tagger.model).__name__), self.fingerprint, time.time() - t0)
        return tagger

    @property
    def ready(self) -> bool:
        return self.batcher.ready.is_set() and not self.batcher.stopping

    def require_ready(self) -> None:
        if self.batcher.error:
            raise ApiError(503, "the model could not be loaded (the server's log says why)", "unhealthy")
        if not self.batcher.ready.is_set():
            raise ApiError(503, "the model is loading; retry shortly", "unhealthy", {"Retry-After": "1"})

    def info(self) -> dict:
        model = self.batcher.tagger.model
        return {"xhnlp_version": __version__, "model": self.model_name, "model_fingerprint": self.fingerprint,
                "model_type": getattr(model, "model_type", type(model).__name__),
                "backend": getattr(model, "backend", None),
                "labels": {h: list(c) for h, c in self.batcher.tagger.heads.items()},
                "limits": {"max_batch": self.max_batch, "max_bytes": self.max_bytes, "max_queue": self.max_queue,
                           "max_wait_ms": self.max_wait_ms},
                "api_key_required": self.api_key is not None}

    async def run(self, kind: str, payload, size: int = 0):
        self.require_ready()
        return await self.batcher.submit(kind, payload, size)


def _strip_bom(text: str) -> str:
    """A leading byte-order mark is dropped, as the CLI's reading of a UTF-8-with-BOM file drops it."""
    return text[1:] if text.startswith("\ufeff") else text


def build_app(service: Service) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app):
        service.batcher.start()
        yield
        await asyncio.to_thread(service.batcher.stop)

    app = FastAPI(title="xhnlp", version=__version__, lifespan=lifespan, redoc_url=None,
                  description="Tags the sentences of Chinese government work reports with policy area and "
                              "commitment type. Errors are `{\"error\", \"error_type\"}`.")

    @app.exception_handler(ApiError)
    async def _api_error(request, exc: ApiError):
        return error_response(exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request, exc: StarletteHTTPException):
        message = {404: f"no route {request.url.path}", 405: f"{request.method} is not allowed on "
                   f"{request.url.path}"}.get(exc.status_code, str(exc.detail))
        return error_response(ApiError(exc.status_code, message, headers=dict(exc.headers or {})))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request, exc: RequestValidationError):
        problems = [f"{_where(x.get('loc', ()))}: {x.get('msg', 'invalid')}" for x in exc.errors()[:3]]
        return error_response(ApiError(422, "; ".join(problems) or "invalid request"))

    @app.exception_handler(Exception)
    async def _internal(request, exc: Exception):
        log.error("internal error on %s", request.url.path, exc_info=exc)
        return error_response(ApiError(500, "internal server error"))

    @app.post("/v1/predict", openapi_extra=body_schema(PredictRequest), response_class=JSONBytes,
              responses={200: {"model": PredictResponse}, **ERROR_RESPONSES},
              summary="Label sentences (area, type, strength, targets)")
    async def predict(request: Request):
        body = await request.body()
        data, req = parse(body, PredictRequest)
        n = len(req.sentences)
        if n > service.max_batch:
            raise ApiError(413, f"{n} sentences in one request; the limit is {service.max_batch} (--max-batch): "
                           "send them in several requests")
        if req.sections is not None and len(req.sections) != n:
            raise ApiError(422, f"sections: {len(req.sections)} heading paths for {n} sentences; give one "
                           "list of headings per sentence")
        check_unicode("sentences", req.sentences)
        if req.sections is not None:
            check_unicode("sections", ["".join(sec) for sec in req.sections])
        results = await service.run("predict", (req.sentences, req.sections), n)
        return JSONBytes(dumps({"results": results}))

    async def _text_route(request: Request, kind: str, key: str):
        data, req = parse(await request.body(), TextRequest)
        check_unicode("text", [req.text], indexed=False)
        if req.doc is not None:
            check_unicode("doc", [req.doc], indexed=False)
        rows = await service.run(kind, (_strip_bom(req.text), req.doc))
        return JSONBytes(await asyncio.to_thread(dumps, {key: rows}))

    @app.post("/v1/tag", openapi_extra=body_schema(TextRequest), response_class=JSONBytes,
              responses={200: {"model": TagResponse}, **ERROR_RESPONSES},
              summary="Segment a report and tag every heading and sentence (the CLI's JSONL rows)")
    async def tag(request: Request):
        return await _text_route(request, "tag", "rows")

    @app.post("/v1/targets", openapi_extra=body_schema(TextRequest), response_class=JSONBytes,
              responses={200: {"model": TargetsResponse}, **ERROR_RESPONSES},
              summary="The quantified targets of a report, with offsets into the text")
    async def targets(request: Request):
        return await _text_route(request, "targets", "targets")

    @app.get("/health", response_class=JSONBytes, responses={503: {"model": ErrorBody}},
             summary="200 once the model is loaded, 503 before")
    async def health():
        service.require_ready()
        return JSONBytes(dumps({"status": "ok"}))

    @app.get("/info", response_class=JSONBytes, summary="Version, model, labels, backend and limits")
    async def info():
        service.require_ready()
        return JSONBytes(dumps(service.info()))

    @app.get("/metrics", response_class=Response, summary="Prometheus metrics (text format)")
    async def metrics():
        return Response(service.metrics.render(service), media_type="text/plain; version=0.0.4; charset=utf-8")

    return app


class Guard:
    """Outermost ASGI layer: API key, body size limit (before anything parses it), metrics, and a JSON
    500 for anything that escapes the app."""

    def __init__(self, app, service: Service):
        self.app, self.service = app, service
        self.drain_limit = max(4 * service.max_bytes, DRAIN_MIN)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        metrics = self.service.metrics
        path = scope["path"]
        route = path if path in ROUTES else "other"
        status, t0 = [0], time.perf_counter()

        async def send_(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        metrics.inflight += 1
        try:
            await self._handle(scope, receive, send_)
        except Exception:
            log.exception("internal error on %s", path)
            if not status[0]:
                await send_error(send_, ApiError(500, "internal server error"), close=True)
        finally:
            metrics.inflight -= 1
            metrics.request(route, status[0] or 499, time.perf_counter() - t0)  # 499: the client left first

    def _authorized(self, headers: dict) -> bool:
        key = self.service.api_key
        given = headers.get(b"x-api-key")
        auth = headers.get(b"authorization", b"")
        if auth[:7].lower() == b"bearer ":
            given = auth[7:].strip()
        return given is not None and hmac.compare_digest(given, key)

    async def _handle(self, scope, receive, send):
        headers = dict(scope["headers"])
        service = self.service
        if service.api_key and scope["path"] not in PUBLIC_PATHS and not self._authorized(headers):
            err = ApiError(401, "missing or wrong API key: send the header 'Authorization: Bearer KEY'",
                           headers={"WWW-Authenticate": "Bearer"})
            return await self._refuse(receive, send, err, headers)
        if scope["method"] in ("POST", "PUT", "PATCH"):
            length = _length(headers)
            too_big = ApiError(413, f"the body is over {service.max_bytes} bytes (--max-bytes); split the text "
                               "or the sentences into several requests")
            if length is not None and length > service.max_bytes:
                return await self._refuse(receive, send, too_big, headers)
            body = bytearray()
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                body += message.get("body", b"")
                if len(body) > service.max_bytes:
                    if message.get("more_body"):
                        return await self._refuse(receive, send, too_big, headers, already=len(body))
                    return await send_error(send, too_big)
                if not message.get("more_body"):
                    break
            receive = _replay(bytes(body), receive)
        await self.app(scope, receive, send)

    async def _refuse(self, receive, send, err: ApiError, headers: dict, already: int = 0) -> None:
        """Answer ``err`` before the app runs. A body the client is sending is read and dropped first (up
        to a bound) so that the client sees the answer rather than a reset connection; a client waiting
        on ``Expect: 100-continue`` is answered at once and sends nothing."""
        length = _length(headers)
        has_body = already or (length is not None and length > 0) or b"transfer-encoding" in headers
        if not has_body:
            return await send_error(send, err)
        if not already and headers.get(b"expect", b"").lower() == b"100-continue":
            return await send_error(send, err, close=True)
        if length is not None and length > self.drain_limit:
            return await send_error(send, err, close=True)
        read = already
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            read += len(message.get("body", b""))
            if not message.get("more_body"):
                return await send_error(send, err)
            if read > self.drain_limit:
                return await send_error(send, err, close=True)


def _length(headers: dict) -> int | None:
    """The declared Content-Length (the HTTP layer has already refused a malformed one)."""
    value = headers.get(b"content-length")
    try:
        return None if value is None else int(value)
    except ValueError:
        return None


def _replay(body: bytes, receive):
    sent = False

    async def replay():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # later calls: wait for the disconnect, as the server's receive would

    return replay


def create_app(service: Service):
    """The ASGI application of ``service`` (the FastAPI app inside the :class:`Guard`)."""
    return Guard(build_app(service), service)


# --- command line ---------------------------------------------------------------------------------------
def _listen(host: str, port: int) -> socket.socket:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, _, _, _, address = infos[0]
    # IPPROTO_TCP spelled out: asyncio sets TCP_NODELAY only on sockets that say so (without it, every
    # answer on a kept-alive connection waited ~40 ms for the client's delayed ACK)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
        sock.set_inheritable(True)
    except OSError:
        sock.close()
        raise
    return sock


def _is_loopback(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")


def main(args) -> int:
    """``xhnlp serve``: returns the exit code (0 after SIGTERM/Ctrl+C, 2 when it cannot start)."""
    api_key = args.api_key or os.environ.get("XHNLP_API_KEY") or None
    if not 0 <= args.port <= 65535:
        print(f"error: --port must be between 0 and 65535, not {args.port}", file=sys.stderr)
        return 2
    try:
        service = Service(args.model, max_batch=args.max_batch, max_bytes=args.max_bytes, max_queue=args.max_queue,
                          max_wait_ms=args.max_wait_ms, api_key=api_key)
    except (ModelError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    try:
        sock = _listen(args.host, args.port)
    except OSError as e:
        print(f"error: cannot listen on {args.host}:{args.port}: {e.strerror or e}", file=sys.stderr)
        return 2
    if not _is_loopback(args.host) and not api_key:
        print(f"warning: listening on {args.host} without an API key: anyone who reaches this port can use it "
              "(set --api-key or XHNLP_API_KEY)", file=sys.stderr)
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    print(f"xhnlp serve: loading model {service.model_name}; http://{shown}:{port} (/health, /docs)", file=sys.stderr)
    config = uvicorn.Config(create_app(service), lifespan="on", http="h11", loop="asyncio", access_log=False,
                            server_header=False, timeout_graceful_shutdown=60, log_level="info")
    server = uvicorn.Server(config)
    service.on_fatal = lambda: setattr(server, "should_exit", True)
    # uvicorn re-raises the signal that stopped it once it has shut down; with these handlers that is a no-op
    previous = {sig: signal.signal(sig, lambda *_: None) for sig in (signal.SIGTERM, signal.SIGINT)}
    code = 0
    try:
        server.run(sockets=[sock])
    except SystemExit as e:  # uvicorn's own startup failure
        code = e.code if isinstance(e.code, int) else 1
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sock.close()
    if service.batcher.error:
        print(f"error: {service.batcher.error}", file=sys.stderr)
        return 2
    return code
