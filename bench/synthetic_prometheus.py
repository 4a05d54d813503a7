"""A Prometheus-compatible endpoint of any size, for the figures a sandbox is too small for.

It answers ``/api/v1/query_range`` with ``N`` series on the grid the request asks for (at
most ``M`` points each, the newest ones) and ``/api/v1/query`` with one sample per series,
as Prometheus writes them: values as strings, an occasional ``NaN``. ``stats=all`` adds
Prometheus' timings (here the time spent building the answer). Loopback only.

It runs in a process of its own (``python -m bench.synthetic_prometheus``), so that the
client's CPU time measured in the bench process holds the client's work only.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

STARTUP_SECONDS = 30


def _value(series: int, ts: float) -> str:
    if int(ts) % 997 == series:  # a rare NaN, as a rate over no samples gives
        return "NaN"
    return repr(round(10 + series + 5 * math.sin(ts / 300 + series), 6))


def range_document(
    query: str, start: float, end: float, step: float, series: int, points: int
) -> dict[str, object]:
    """What Prometheus would answer: ``series`` series over the grid start…end."""
    count = max(0, min(points, math.floor((end - start) / step) + 1))
    first = end - (count - 1) * step
    grid = [first + i * step for i in range(count)]
    result = [
        {
            "metric": {"__name__": "synthetic", "service": f"svc-{n:03d}", "query": query[:16]},
            "values": [[t if t != int(t) else int(t), _value(n, t)] for t in grid],
        }
        for n in range(series)
    ]
    return {"status": "success", "data": {"resultType": "matrix", "result": result}}


def instant_document(at: float, series: int) -> dict[str, object]:
    result = [
        {"metric": {"service": f"svc-{n:03d}"}, "value": [at, _value(n, at)]} for n in range(series)
    ]
    return {"status": "success", "data": {"resultType": "vector", "result": result}}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Prometheus
    disable_nagle_algorithm = True  # headers and body go in two writes: no 40 ms stall
    series = 4
    points = 720

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        params = {k: v[-1] for k, v in parse_qs(url.query).items()}
        started = time.perf_counter()
        now = time.time()
        try:
            if url.path == "/api/v1/query_range":
                document = range_document(
                    params.get("query", ""),
                    float(params["start"]),
                    float(params["end"]),
                    float(params["step"].rstrip("s")),
                    self.series,
                    self.points,
                )
            elif url.path == "/api/v1/query":
                document = instant_document(float(params.get("time", now)), self.series)
            else:
                self._send(404, {"status": "error", "errorType": "not_found", "error": url.path})
                return
        except (KeyError, ValueError) as exc:
            self._send(400, {"status": "error", "errorType": "bad_data", "error": str(exc)})
            return
        if params.get("stats") == "all":
            took = time.perf_counter() - started
            document["data"]["stats"] = {  # type: ignore[index]
                "timings": {"evalTotalTime": took, "execTotalTime": took}
            }
        self._send(200, document)

    def _send(self, status: int, document: dict[str, object]) -> None:
        body = json.dumps(document, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def serve(port: int, series: int, points: int) -> None:
    handler = type("Handler", (_Handler,), {"series": series, "points": points})
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@contextmanager
def synthetic_prometheus(series: int, points: int) -> Iterator[str]:
    """Run an endpoint of ``series`` × ``points`` in a child process; yields its URL."""
    process = subprocess.Popen(  # noqa: S603 - our own module, our own arguments
        [sys.executable, "-m", "bench.synthetic_prometheus", "--series", str(series),
         "--points", str(points)],
        stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()  # the port, once it listens
        if not line:
            raise RuntimeError("the synthetic Prometheus did not start")
        yield f"http://127.0.0.1:{int(line)}"
    finally:
        process.terminate()
        try:
            process.wait(STARTUP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0, help="default: any free port")
    parser.add_argument("--series", type=int, default=4)
    parser.add_argument("--points", type=int, default=720)
    args = parser.parse_args()
    serve(args.port, args.series, args.points)


if __name__ == "__main__":
    main()
