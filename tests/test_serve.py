"""``xhnlp serve`` against real server processes on 127.0.0.1 (the baseline model: it loads in seconds)."""
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

from conftest import ROOT  # noqa: E402

from xhnlp import __version__, cli  # noqa: E402
from xhnlp.models import fingerprint, resolve  # noqa: E402

HOST = "127.0.0.1"  # loopback only
PREDICT_FIELDS = ["area", "area_score", "area_probs", "type", "type_score", "type_probs", "strength", "targets"]
KEY = "s3cret-key"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    """``python -m xhnlp.cli serve --model baseline`` in a subprocess, its output in a log file."""

    def __init__(self, tmp_path, name, *extra):
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.log_path = tmp_path / f"{name}.log"
        env = dict(os.environ, PYTHONUNBUFFERED="1", TOKENIZERS_PARALLELISM="false")
        env.pop("XHNLP_API_KEY", None)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "xhnlp.cli", "serve", "--model", "baseline", "--host", HOST,
                 "--port", str(self.port), *extra], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_ready(self, timeout=90.0, headers=None):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited with {self.proc.returncode}:\n{self.log()}")
            try:
                r = httpx.get(self.url + "/health", timeout=2, headers=headers)
                if r.status_code == 200:
                    return
                assert r.status_code == 503 and r.json()["error_type"] == "unhealthy", r.text
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"server not ready after {timeout}s:\n{self.log()}")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("serve")
    started = {"main": Server(tmp, "main"),
               "locked": Server(tmp, "locked", "--api-key", KEY, "--max-queue", "1", "--max-bytes", "400000"),
               "spare": Server(tmp, "spare")}
    try:
        for s in started.values():
            s.wait_ready()
        yield started
    finally:
        for s in started.values():
            s.stop()


@pytest.fixture(scope="module")
def url(servers):
    return servers["main"].url


@pytest.fixture(scope="module")
def client(url):
    with httpx.Client(base_url=url, timeout=60) as c:
        yield c


@pytest.fixture(scope="module")
def sentences(baseline_tagger, sample_text):
    return [p.text for p in baseline_tagger.tag(sample_text) if p.kind == "sentence"]


def expected(tagger, sentences, sections=None):
    """What /v1/predict must answer: the library's tag_sentences, as JSON."""
    rows = tagger.tag_sentences(sentences, sections=sections).to_dicts()
    return json.loads(json.dumps([{k: r[k] for k in PREDICT_FIELDS} for r in rows]))


def assert_error(r, status, error_type=None):
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error", "error_type"} and body["error"], body
    assert "Traceback" not in r.text and 'File "' not in r.text
    if error_type:
        assert body["error_type"] == error_type, body
    return body


def samples(text: str, prefix: str) -> dict:
    """{metric name with labels: value} of the lines that start with ``prefix``."""
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
            if line.startswith(prefix)}


# --- routes ------------------------------------------------------------------------------------------
def test_health_info_docs(client, servers):
    assert client.get("/health").json() == {"status": "ok"}
    info = client.get("/info").json()
    assert info["xhnlp_version"] == __version__ and info["model"] == "baseline"
    assert info["model_fingerprint"] == fingerprint(resolve("baseline"))
    assert info["labels"]["area"][0] == "economy" and len(info["labels"]["type"]) == 6
    assert "backend" in info and info["limits"]["max_batch"] == 64 and info["limits"]["max_bytes"] == 2_000_000
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/predict", "/v1/tag", "/v1/targets", "/health", "/info", "/metrics"} <= set(paths)
    assert "sentences" in json.dumps(paths["/v1/predict"]["post"]["requestBody"])


def test_defaults(monkeypatch):
    import xhnlp.serve

    seen = {}
    monkeypatch.setattr(xhnlp.serve, "main", lambda args: seen.update(vars(args)) or 0)
    assert cli.main(["serve"]) == 0
    assert (seen["host"], seen["port"], seen["max_batch"], seen["max_bytes"], seen["api_key"], seen["model"]) == \
        ("127.0.0.1", 8000, 64, 2_000_000, None, None)


def test_listens_on_loopback_only(servers):
    psutil = pytest.importorskip("psutil")
    listening = [c.laddr for c in psutil.Process(servers["main"].proc.pid).net_connections("tcp")
                 if c.status == psutil.CONN_LISTEN]
    assert listening and all(a.ip == HOST for a in listening)


def test_predict_equals_the_library(client, baseline_tagger, sentences):
    batch = sentences[:40] + ["", "。。！", "   ", "\n"]
    r = client.post("/v1/predict", json={"sentences": batch})
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [list(x) for x in results] == [PREDICT_FIELDS] * len(batch)
    assert results == expected(baseline_tagger, batch)
    assert all(x["area"] is None and x["type"] is None and x["targets"] == [] for x in results[-4:])
    assert any(x["targets"] for x in results)
    sections = [["一、2025年工作安排", "（一）经济"]] * 3
    r = client.post("/v1/predict", json={"sentences": batch[:3], "sections": sections})
    assert r.json()["results"] == expected(baseline_tagger, batch[:3], sections)


def test_tag_rows_are_the_cli_rows(client, tmp_path, sample_text, capsys):
    src = tmp_path / "report.txt"
    src.write_text(sample_text, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert cli.main(["tag", str(src), "-o", str(out), "--model", "baseline", "-q"]) == 0
    capsys.readouterr()
    cli_rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    r = client.post("/v1/tag", json={"text": sample_text, "doc": "report.txt"})
    assert r.status_code == 200, r.text
    assert r.json()["rows"] == cli_rows
    assert "part" in cli_rows[0]
    # a leading byte-order mark is dropped as the CLI's reading of a UTF-8-with-BOM file drops it
    assert client.post("/v1/tag", json={"text": "\ufeff" + sample_text, "doc": "report.txt"}).json()["rows"] == cli_rows


def test_targets_have_document_offsets(client, sample_text, baseline_tagger):
    r = client.post("/v1/targets", json={"text": sample_text})
    assert r.status_code == 200, r.text
    targets = r.json()["targets"]
    want = [t for p in baseline_tagger.tag(sample_text) for t in p.targets]
    assert len(targets) == len(want) > 10
    for t in targets:
        assert sample_text[t["start"]:t["end"]].startswith(t["value_text"][:1]) and t["sentence"] in sample_text
        assert t["unit"] in sample_text[t["start"]:t["end"]]


def test_a_100000_character_text(client, baseline_tagger, sample_text):
    text = (sample_text * (100_000 // len(sample_text) + 1))[:100_000]
    t0 = time.monotonic()
    r = client.post("/v1/tag", json={"text": text})
    assert r.status_code == 200, r.text
    rows = r.json()["rows"]
    assert "".join(x["text"] for x in rows) == text
    assert rows == json.loads(json.dumps(baseline_tagger.tag(text).to_dicts()))
    assert time.monotonic() - t0 < 30


UNICODE = ["全年地区生产总值增长5%左右。😀🇨🇳", "𠀀𠀁𪚥增长10%以上。", "cafe\u0301 e\u0301 增长", "مرحبا 增长 5% שלום",
           "零宽\u200b连接\u200d中间\ufeff字符", "空\u0000字符", "第一行\u2028第二行\u2029", "\u3000\u3000全角空格开头。",
           "！？。，……", "\r\n\t", "Ａ１２３％　ｂ", "\U0010ffff\ue000", "增" * 2_000 + "。"]
# (not much longer: jieba, inside the baseline, is quadratic on a long run of one repeated character)


def test_unicode_edge_cases(client, baseline_tagger):
    r = client.post("/v1/predict", json={"sentences": UNICODE})
    assert r.status_code == 200, r.text
    assert r.json()["results"] == expected(baseline_tagger, UNICODE)
    text = "\n".join(UNICODE)
    rows = client.post("/v1/tag", json={"text": text}).json()["rows"]
    assert "".join(x["text"] for x in rows) == text
    assert rows == json.loads(json.dumps(baseline_tagger.tag(text).to_dicts()))
    # the same, sent as raw UTF-8 with every character unescaped
    raw = json.dumps({"sentences": UNICODE}, ensure_ascii=False).encode("utf-8")
    assert client.post("/v1/predict", content=raw).json()["results"] == expected(baseline_tagger, UNICODE)


# --- errors --------------------------------------------------------------------------------------------
BAD_BODIES = [
    b"{", b"", b"not json", b"[]", b'"sentences"', b"null", b"{}", b'{"sentences": "one string"}',
    b'{"sentences": [1, 2]}', b'{"sentences": [null]}', b'{"sentences": []}', b'{"sentences": [["nested"]]}',
    b'{"sentences": ["a"], "sections": [["x"], ["y"]]}', b'{"sentences": ["a"], "sections": ["x"]}',
    b'{"sentences": ["a"], "sections": [[1]]}', b'{"sentences": ["a"], "model": "bert"}',
    b'{"sentences": ["a"], "path": "/etc/passwd"}', b'{"sentences": ["\\ud800"]}', b'{"sentences": ["\xff\xfe"]}',
    b"[" * 50_000 + b"]" * 50_000, b'{"sentences": ["a"], "n": ' + b"9" * 5000 + b"}", b"\xef\xbb\xbf{}",
]


@pytest.mark.parametrize("route", ["/v1/predict", "/v1/tag"])
def test_invalid_requests_are_422(client, route):
    bodies = BAD_BODIES if route == "/v1/predict" else BAD_BODIES[:8] + [
        b'{"text": 5}', b'{"text": ["a"]}', b'{"text": "a", "doc": 3}', b'{"text": "a", "model": "bert"}',
        b'{"text": "\\udfff"}', b'{"text": "a", "doc": "\\ud800"}']
    for body in bodies:
        assert_error(client.post(route, content=body, headers={"content-type": "application/json"}), 422, "validation")
    assert_error(client.post("/v1/targets", content=b'{"text": null}'), 422, "validation")


def test_limits_are_413(client, url):
    big = b'{"text": "' + "增".encode() * 1_000_000 + b'"}'  # 3 MB
    assert_error(client.post("/v1/tag", content=big), 413, "payload_too_large")
    assert_error(client.post("/v1/predict", content=big), 413, "payload_too_large")
    chunks = (b'{"text": "' + b"a" * 100_000 if i == 0 else b"a" * 100_000 for i in range(40))  # chunked, no length
    assert_error(client.post("/v1/tag", content=chunks), 413, "payload_too_large")
    assert_error(client.post("/v1/predict", json={"sentences": ["增长"] * 65}), 413, "payload_too_large")
    assert client.post("/v1/predict", json={"sentences": ["增长"] * 64}).status_code == 200
    with httpx.Client(timeout=60) as fresh:  # and a 30 MB one on a fresh connection
        assert_error(fresh.post(url + "/v1/tag", content=b"a" * 30_000_000), 413, "payload_too_large")
    assert client.get("/health").status_code == 200


def test_curl_with_expect_100_continue_gets_413(url, tmp_path):
    curl = subprocess.run(["which", "curl"], capture_output=True, text=True).stdout.strip()
    if not curl:
        pytest.skip("no curl")
    body = tmp_path / "big.json"
    body.write_bytes(b'{"text": "' + b"a" * 3_000_000 + b'"}')
    out = subprocess.run([curl, "-s", "-w", "\n%{http_code}", "-H", "Content-Type: application/json",
                          "--data-binary", f"@{body}", url + "/v1/tag"], capture_output=True, text=True, timeout=60)
    text, code = out.stdout.rsplit("\n", 1)
    assert code == "413" and json.loads(text)["error_type"] == "payload_too_large"


def test_unknown_routes_and_methods(client):
    assert_error(client.get("/nope"), 404, "not_found")
    assert_error(client.post("/v1/models/load", json={"path": "/etc/passwd"}), 404, "not_found")
    r = client.get("/v1/predict")
    assert_error(r, 405, "method_not_allowed")
    assert "POST" in r.headers.get("allow", "")
    assert_error(client.delete("/health"), 405, "method_not_allowed")


def test_api_key(servers):
    url = servers["locked"].url
    good = [{"Authorization": f"Bearer {KEY}"}, {"authorization": f"bearer {KEY}"}, {"X-API-Key": KEY}]
    bad = [{}, {"Authorization": "Bearer wrong"}, {"Authorization": KEY}, {"X-API-Key": KEY + "x"},
           {"Authorization": f"Basic {KEY}"}]
    body = {"sentences": ["全年地区生产总值增长5%左右。"]}
    for headers in bad:
        r = httpx.post(url + "/v1/predict", json=body, headers=headers)
        assert_error(r, 401, "unauthorized")
        assert r.headers["www-authenticate"] == "Bearer"
        for path in ("/info", "/metrics"):
            assert_error(httpx.get(url + path, headers=headers), 401, "unauthorized")
    assert_error(httpx.post(url + "/v1/tag", content=b"a" * 3_000_000), 401, "unauthorized")
    for headers in good:
        assert httpx.post(url + "/v1/predict", json=body, headers=headers).status_code == 200
        assert httpx.get(url + "/info", headers=headers).json()["api_key_required"] is True
    assert httpx.get(url + "/health").status_code == 200  # probes need no key
    assert httpx.get(url + "/docs").status_code == 200


def test_full_queue_is_503_with_retry_after(servers, sample_text):
    url, headers = servers["locked"].url, {"Authorization": f"Bearer {KEY}"}
    text = sample_text * 8  # ~56,000 characters: each request keeps the worker busy for a while

    def post(_):
        return httpx.post(url + "/v1/tag", json={"text": text}, headers=headers, timeout=60)

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(post, range(6)))
    codes = sorted(r.status_code for r in answers)
    assert set(codes) <= {200, 503} and codes.count(200) >= 1 and codes.count(503) >= 1, codes
    for r in answers:
        if r.status_code == 503:
            assert_error(r, 503, "overloaded")
            assert r.headers["retry-after"] == "1"
    assert httpx.get(url + "/health").status_code == 200


# --- concurrency, batching, metrics ------------------------------------------------------------------
def test_32_concurrent_clients(url, baseline_tagger, sentences):
    want = dict(zip(sentences, expected(baseline_tagger, sentences)))
    failures = []

    def client_thread(i):
        with httpx.Client(base_url=url, timeout=60) as c:
            for j in range(4):
                k = 1 + (i + j) % 8
                batch = [sentences[(i * 7 + j * 3 + n) % len(sentences)] for n in range(k)]
                r = c.post("/v1/predict", json={"sentences": batch})
                if r.status_code != 200 or r.json()["results"] != [want[s] for s in batch]:
                    failures.append((i, j, r.status_code, r.text[:200]))

    threads = [threading.Thread(target=client_thread, args=(i,)) for i in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures[:3]


def test_batching_and_a_responsive_event_loop(client, sample_text, sentences):
    before = client.get("/metrics").text
    big = (sample_text * 15)[:100_000]
    results = {}
    tag = threading.Thread(target=lambda: results.update(tag=client.post("/v1/tag", json={"text": big})))
    tag.start()
    time.sleep(0.2)  # the long job is in the worker: what comes now queues behind it
    t0 = time.monotonic()
    health = httpx.get(client.base_url.join("/health"), timeout=10)
    health_s = time.monotonic() - t0

    def one(i):
        return httpx.post(client.base_url.join("/v1/predict"), json={"sentences": [sentences[i]]}, timeout=60)

    with ThreadPoolExecutor(32) as pool:
        answers = list(pool.map(one, range(32)))
    tag.join()
    assert health.status_code == 200 and health_s < 1.0, health_s  # answered while the model works
    assert results["tag"].status_code == 200 and all(r.status_code == 200 for r in answers)
    after = client.get("/metrics").text
    buckets = {k: v - samples(before, "xhnlp_batch_size_bucket").get(k, 0)
               for k, v in samples(after, "xhnlp_batch_size_bucket").items()}
    calls, small = buckets['xhnlp_batch_size_bucket{le="+Inf"}'], buckets['xhnlp_batch_size_bucket{le="8"}']
    assert 1 <= calls < 32 and small < calls, buckets  # 32 requests, a few model calls, batches over 8


def test_metrics(client):
    client.post("/v1/predict", json={"sentences": ["增长5%"]})
    client.get("/nope")
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    text = r.text
    for name, kind in [("xhnlp_requests_total", "counter"), ("xhnlp_request_duration_seconds", "histogram"),
                       ("xhnlp_batch_size", "histogram"), ("xhnlp_queue_depth", "gauge")]:
        assert f"# TYPE {name} {kind}" in text
    counts = samples(text, "xhnlp_requests_total")
    assert counts['xhnlp_requests_total{route="/v1/predict",code="200"}'] >= 1
    assert counts['xhnlp_requests_total{route="other",code="404"}'] >= 1
    assert samples(text, "xhnlp_queue_depth") == {"xhnlp_queue_depth": 0}
    assert samples(text, 'xhnlp_request_duration_seconds_bucket{route="/v1/predict",le="+Inf"}')
    for line in text.splitlines():
        if line and not line.startswith("#"):
            float(line.rsplit(" ", 1)[1])  # every sample line is "name{labels} value"


def test_sigterm_finishes_requests_in_flight_and_exits_0(servers, sample_text):
    spare = servers["spare"]
    big = (sample_text * 15)[:100_000]
    answers = {}

    def post(name, path, body):
        answers[name] = httpx.post(spare.url + path, json=body, timeout=60)

    threads = [threading.Thread(target=post, args=("tag", "/v1/tag", {"text": big})),
               threading.Thread(target=post, args=("predict", "/v1/predict", {"sentences": ["增长5%"] * 64}))]
    for t in threads:
        t.start()
        time.sleep(0.15)
    spare.proc.send_signal(signal.SIGTERM)
    for t in threads:
        t.join()
    assert spare.proc.wait(30) == 0, spare.log()
    assert answers["tag"].status_code == 200 and len(answers["tag"].json()["rows"]) > 1000
    assert answers["predict"].status_code == 200 and len(answers["predict"].json()["results"]) == 64
    with pytest.raises(httpx.TransportError):
        httpx.get(spare.url + "/health", timeout=2)
    assert "Traceback" not in spare.log()


# --- start-up failures (in-process: nothing is loaded) ---------------------------------------------------
def test_start_up_errors_are_one_line(capsys, monkeypatch, tmp_path):
    assert cli.main(["serve", "--model", "no-such-model"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: model 'no-such-model'") and err.count("\n") == 1
    (tmp_path / "config.json").write_text("{", encoding="utf-8")  # found, but it cannot be loaded
    assert cli.main(["serve", "--model", str(tmp_path), "--host", HOST, "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1].startswith("error: ") and "config.json is not valid JSON" in err
    assert "Traceback" not in err
    with socket.socket() as busy:
        busy.bind((HOST, 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert cli.main(["serve", "--model", "baseline", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot listen on {HOST}:{port}") and err.count("\n") == 1
    monkeypatch.setitem(sys.modules, "fastapi", None)  # as if the serve extra were not installed
    monkeypatch.delitem(sys.modules, "xhnlp.serve", raising=False)
    monkeypatch.delattr("xhnlp.serve", raising=False)
    assert cli.main(["serve", "--model", "baseline"]) == 2
    assert capsys.readouterr().err == 'error: xhnlp serve needs the serve extra: pip install "xhnlp[serve]"\n'


# --- in-process: loading and micro-batching with a stand-in model -----------------------------------------
class SlowTagger:
    """A stand-in Tagger: records the size of every call; calls wait while ``gate`` is clear."""

    smoothing: dict = {}

    def __init__(self, real, gate):
        self.real, self.gate, self.calls = real, gate, []
        self.heads, self.model = real.heads, real.model

    def tag_sentences(self, sentences, sections=None):
        self.gate.wait(30)
        self.calls.append(len(sentences))
        return self.real.tag_sentences(sentences, sections=sections)


@contextlib.contextmanager
def in_thread(service):
    """``service`` served by uvicorn in a thread of this process, on a free loopback port: its base URL."""
    import uvicorn

    from xhnlp.serve import create_app

    sock = socket.socket()
    sock.bind((HOST, 0))
    server = uvicorn.Server(uvicorn.Config(create_app(service), log_level="critical", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    base = f"http://{HOST}:{sock.getsockname()[1]}"
    try:
        for _ in range(200):
            try:
                httpx.get(base + "/metrics")
                break
            except httpx.TransportError:
                time.sleep(0.05)
        yield base
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


@contextlib.contextmanager
def release(*events):
    """Set ``events`` on the way out, whatever happened: a stand-in model never stays blocked."""
    try:
        yield
    finally:
        for e in events:
            e.set()


def test_health_503_while_loading_then_one_model_call_for_concurrent_requests(baseline_tagger, sentences):
    from xhnlp.serve import Service

    loaded, gate = threading.Event(), threading.Event()
    gate.set()
    fake = SlowTagger(baseline_tagger, gate)

    def load():
        loaded.wait(30)
        return fake

    service = Service("baseline", max_batch=64, max_wait_ms=2, load=load)
    with in_thread(service) as base, release(loaded, gate):
        r = httpx.get(base + "/health")
        assert_error(r, 503, "unhealthy")
        assert r.headers["retry-after"] == "1"
        assert_error(httpx.post(base + "/v1/predict", json={"sentences": ["增长"]}), 503, "unhealthy")
        loaded.set()
        for _ in range(100):
            if httpx.get(base + "/health").status_code == 200:
                break
            time.sleep(0.05)
        fake.calls.clear()
        gate.clear()  # the model is busy: the next requests pile up
        with ThreadPoolExecutor(21) as pool:
            futures = [pool.submit(httpx.post, base + "/v1/predict", json={"sentences": sentences[i:i + 3]},
                                   timeout=60) for i in range(21)]
            time.sleep(0.5)
            gate.set()
            answers = [f.result() for f in futures]
        assert all(r.status_code == 200 for r in answers)
        for i, r in enumerate(answers):
            assert r.json()["results"] == expected(baseline_tagger, sentences[i:i + 3])
        assert sum(fake.calls) == 63 and len(fake.calls) <= 3, fake.calls  # 21 requests, at most 3 model calls


class FailingTagger(SlowTagger):
    def tag_sentences(self, sentences, sections=None):
        if "boom" in sentences:
            raise RuntimeError("a bug in the model, with a secret path /home/x/model")
        return super().tag_sentences(sentences, sections)


def test_a_failing_model_call_is_a_500_for_that_request_only(baseline_tagger):
    from xhnlp.serve import Service

    gate = threading.Event()
    gate.set()
    fake = FailingTagger(baseline_tagger, gate)
    with in_thread(Service("baseline", load=lambda: fake)) as base, release(gate):
        for _ in range(100):
            if httpx.get(base + "/health").status_code == 200:
                break
            time.sleep(0.05)
        gate.clear()
        with ThreadPoolExecutor(3) as pool:
            futures = [pool.submit(httpx.post, base + "/v1/predict", json={"sentences": [s]}, timeout=30)
                       for s in ("增长5%", "boom", "全年地区生产总值增长5%左右。")]
            time.sleep(0.3)  # the last two wait together for the (blocked) first
            gate.set()
            ok, bad, ok2 = [f.result() for f in futures]
        assert ok.status_code == 200 and ok2.status_code == 200
        assert_error(bad, 500, "internal")
        assert "secret" not in bad.text and "RuntimeError" not in bad.text
        assert httpx.get(base + "/health").status_code == 200
