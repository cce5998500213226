"""Load test of ``xhnlp serve``: throughput and latency of ``POST /v1/predict`` under concurrent clients.

    python eval/bench_serve.py                         # the default model (bert)
    python eval/bench_serve.py --model baseline --seconds 3

Starts ``python -m xhnlp.cli serve`` on 127.0.0.1 (a free port; loopback only), then for every
request size (``--sizes``, sentences per request) and number of clients (``--clients``) runs that
many keep-alive HTTP/1.1 connections, each sending its next request as soon as the previous answer
arrives, for ``--seconds`` (and at most ``--max-requests`` requests; what is in flight at the end
is waited for and counted). The clients are one asyncio loop in this process with a minimal
HTTP/1.1 client, so that they take little of the CPU the server needs.

One table: requests, errors (non-200 answers, a wrong number of results, broken connections),
requests/s, sentences/s, p50/p95/p99 latency, the server's peak RSS during the run (sampled from
/proc every 20 ms) and ``× in-proc``: sentences/s over in-process ``Tagger.tag_sentences`` on the
same sentences in batches of ``--max-batch`` (the server's largest model call), measured in this
process just before each run while the server is idle (on a machine shared with other jobs the
speed drifts; a reference next to each run keeps the ratio meaningful). Then the server's RSS before and after all runs (memory flat?) and its
exit status after SIGTERM.

The sentences are the sample report's (``examples/xuhui_2025_main_tasks.txt``), taken in turn.
On a machine shared with other jobs, ``--threads 1`` (``XHNLP_THREADS``) for both sides can help.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "xuhui_2025_main_tasks.txt"
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


class RssSampler:
    """The peak of a process's RSS while it runs (a thread reading /proc every ``every`` seconds)."""

    def __init__(self, pid: int, every: float = 0.02):
        self.pid, self.every, self.peak = pid, every, 0.0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self.stop.is_set():
            self.peak = max(self.peak, rss_mb(self.pid))
            self.stop.wait(self.every)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self.peak = max(self.peak, rss_mb(self.pid))


# --- a minimal HTTP/1.1 keep-alive client ---------------------------------------------------------------
class Connection:
    def __init__(self, port: int):
        self.port = port
        self.reader = self.writer = None

    async def open(self):
        self.reader, self.writer = await asyncio.open_connection(HOST, self.port)

    def close(self):
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            await self.open()
        head = (f"POST {path} HTTP/1.1\r\nHost: {HOST}:{self.port}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        self.writer.write(head + body)
        await self.writer.drain()
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        data = await self.reader.readexactly(int(headers.get("content-length", 0)))
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, data


async def load(port: int, bodies: list[bytes], size: int, clients: int, seconds: float, max_requests: int):
    """``clients`` connections posting ``bodies`` in turn: (latencies in s, errors, elapsed s)."""
    latencies: list[float] = []
    errors = 0
    issued = 0
    deadline = time.perf_counter() + seconds

    async def client(i: int):
        nonlocal errors, issued
        conn = Connection(port)
        k = i
        while time.perf_counter() < deadline and issued < max_requests:
            issued += 1
            body = bodies[k % len(bodies)]
            k += clients
            t0 = time.perf_counter()
            try:
                status, data = await conn.post("/v1/predict", body)
                ok = status == 200 and len(json.loads(data)["results"]) == size
            except (OSError, asyncio.IncompleteReadError, ValueError, KeyError):
                ok = False
                conn.close()
            if ok:
                latencies.append(time.perf_counter() - t0)
            else:
                errors += 1
        conn.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    return latencies, errors, time.perf_counter() - t0


# --- server and in-process reference ---------------------------------------------------------------------
def start_server(model: str, port: int, max_batch: int, env: dict, log_path: Path) -> subprocess.Popen:
    log = open(log_path, "wb")
    cmd = [sys.executable, "-m", "xhnlp.cli", "serve", "--host", HOST, "--port", str(port),
           "--max-batch", str(max_batch)] + (["--model", model] if model else [])
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_healthy(proc: subprocess.Popen, port: int, log_path: Path, timeout: float = 300) -> float:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if proc.poll() is not None:
            sys.exit(f"the server exited with {proc.returncode}:\n{log_path.read_text(errors='replace')}")
        try:
            with socket.create_connection((HOST, port), timeout=1) as s:
                s.sendall(f"GET /health HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode())
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return time.monotonic() - t0
        except OSError:
            pass
        time.sleep(0.2)
    proc.kill()
    sys.exit(f"the server was not healthy after {timeout}s")


def in_process_rate(tagger, sentences: list[str], batch: int, seconds: float) -> float:
    """Sentences/s of ``tagger.tag_sentences`` on ``sentences`` taken ``batch`` at a time, for about ``seconds``."""
    n, k = 0, 0
    for i in range(0, len(sentences), 64):  # warm: every sentence once
        tagger.tag_sentences(sentences[i:i + 64])
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds or n == 0:
        chunk = [sentences[(k + j) % len(sentences)] for j in range(batch)]
        tagger.tag_sentences(chunk)
        n += batch
        k += batch
    return n / (time.perf_counter() - t0)


def bodies_for(sentences: list[str], size: int) -> list[bytes]:
    out, k = [], 0
    for _ in range(max(1, len(sentences) // size) if size > 1 else len(sentences)):
        out.append(json.dumps({"sentences": [sentences[(k + j) % len(sentences)] for j in range(size)]},
                              ensure_ascii=False).encode("utf-8"))
        k += size
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", help="bert (default), baseline or a model directory")
    ap.add_argument("--clients", default="1,8,32", help="numbers of concurrent clients (default 1,8,32)")
    ap.add_argument("--sizes", default="1,32", help="sentences per request (default 1,32)")
    ap.add_argument("--seconds", type=float, default=3.0, help="length of each run (default 3)")
    ap.add_argument("--max-requests", type=int, default=3000, help="at most this many requests per run")
    ap.add_argument("--warmup", type=float, default=0.5, help="seconds of load before each run, not counted")
    ap.add_argument("--max-batch", type=int, default=64, help="the server's --max-batch (default 64)")
    ap.add_argument("--inproc-seconds", type=float, default=1.5, help="length of each in-process measurement")
    ap.add_argument("--threads", type=int, help="XHNLP_THREADS for the server and the in-process tagger")
    args = ap.parse_args(argv)
    clients = [int(c) for c in args.clients.split(",")]
    sizes = [int(s) for s in args.sizes.split(",")]
    env = dict(os.environ, TOKENIZERS_PARALLELISM="false", PYTHONUNBUFFERED="1")
    if args.threads:
        os.environ["XHNLP_THREADS"] = env["XHNLP_THREADS"] = str(args.threads)

    from xhnlp import Tagger
    from xhnlp.models import default_model_name

    model_name = args.model or default_model_name()
    port = free_port()
    log_path = Path(tempfile.mkdtemp(prefix="bench_serve_")) / "server.log"
    proc = start_server(args.model, port, args.max_batch, env, log_path)
    up_s = wait_healthy(proc, port, log_path)
    rss_start = rss_mb(proc.pid)

    tagger = Tagger.load(args.model)
    text = SAMPLE.read_text(encoding="utf-8")
    sentences = [p.text for p in tagger.tag(text) if p.kind == "sentence"]
    ref_1 = in_process_rate(tagger, sentences, 1, min(args.inproc_seconds, 2.0))

    rows = []
    for size in sizes:
        bodies = bodies_for(sentences, size)
        for n in clients:
            ref = in_process_rate(tagger, sentences, args.max_batch, args.inproc_seconds)  # the server idle
            if args.warmup:
                asyncio.run(load(port, bodies, size, n, args.warmup, args.max_requests))
            with RssSampler(proc.pid) as rss:
                lat, errors, elapsed = asyncio.run(load(port, bodies, size, n, args.seconds, args.max_requests))
            ms = np.array(lat) * 1000 if lat else np.array([float("nan")])
            rows.append({"clients": n, "size": size, "requests": len(lat) + errors, "errors": errors,
                         "rps": len(lat) / elapsed, "sps": len(lat) * size / elapsed,
                         "p50": np.percentile(ms, 50), "p95": np.percentile(ms, 95), "p99": np.percentile(ms, 99),
                         "rss": rss.peak, "ref": ref, "ratio": len(lat) * size / elapsed / ref})
            print(f"  {n:>2} clients x {size:>2} sentences: {rows[-1]['sps']:8.1f} sent/s, p99 "
                  f"{rows[-1]['p99']:.1f} ms, {errors} errors", file=sys.stderr)
    rss_end, hwm = rss_mb(proc.pid), rss_mb(proc.pid, "VmHWM")
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(60)

    print(f"\nxhnlp serve --model {model_name} --max-batch {args.max_batch}: healthy {up_s:.1f}s after start; "
          f"{args.seconds:g}s per run (max {args.max_requests} requests), {os.cpu_count()} CPUs"
          + (f", XHNLP_THREADS={args.threads}" if args.threads else ""))
    print(f"in-process Tagger.tag_sentences, one sentence a call: {ref_1:.1f} sent/s; in batches of "
          f"{args.max_batch}: the in-proc column, measured just before each run")
    print(f"{'clients':>7} {'sent/req':>8} {'requests':>8} {'errors':>6} {'req/s':>8} {'sent/s':>8} "
          f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'peak RSS MB':>11} {'in-proc':>8} {'x in-proc':>9}")
    for r in rows:
        print(f"{r['clients']:>7} {r['size']:>8} {r['requests']:>8} {r['errors']:>6} {r['rps']:>8.1f} {r['sps']:>8.1f} "
              f"{r['p50']:>8.1f} {r['p95']:>8.1f} {r['p99']:>8.1f} {r['rss']:>11.0f} {r['ref']:>8.1f} {r['ratio']:>9.2f}")
    print(f"server RSS: {rss_start:.0f} MB when healthy, {rss_end:.0f} MB after the runs (peak {hwm:.0f} MB); "
          f"exit status after SIGTERM: {code}")
    return 0 if code == 0 and not any(r["errors"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
