"""B1, B2 and B7: what a poll costs between the socket and the chart's arrays.

B1 runs against the synthetic endpoint (in a process of its own, so that this process's CPU
time is the client's alone); B2 and B7 against whatever Prometheus the harness chose,
through the app's real path: ``PrometheusSource`` → ``fetch_golden`` → ``GoldenStore``.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from typing import Any

import httpx

from aioke_desktop.api.prometheus import PrometheusSource
from aioke_desktop.core.golden import GoldenPlan, fetch_golden, series_points
from aioke_desktop.core.golden_store import GoldenStore
from aioke_desktop.core.promql import GoldenSignalTemplates
from aioke_desktop.core.series import parse_result

from .figures import Figure, median
from .synthetic_prometheus import synthetic_prometheus

STEP = 5.0
PANEL_QUERY = 'sum by (service) (rate(http_requests_total{job="workload"}[5m]))'
PAIRS = 4  # steady-state refreshes a run, each next to its raw floor
FULL_REFETCH = "a full refetch every refresh (as Prometheus' own UI)"


def cpu_ms(work: Callable[[], object], times: int) -> float:
    """CPU time of this process per call, in ms (the synthetic server runs elsewhere)."""
    started = time.process_time()
    for _ in range(times):
        work()
    return (time.process_time() - started) / times * 1000


def measure_poll(quick: bool, runs: int) -> list[Figure]:
    """B1: one panel's poll against ``json.loads`` of the same bytes."""
    sizes = [("B1", 4, 720)] if quick else [("B1", 4, 720), ("B1c", 40, 720)]
    figures: list[Figure] = []
    for fid, series, points in sizes:
        polls = 3 if quick else max(3, 120 // series)  # about the same time for every size
        with synthetic_prometheus(series, points) as url:
            figures += _poll_figures(fid, url, series, points, polls, runs)
    return figures


def _poll_figures(
    fid: str, url: str, series: int, points: int, polls: int, runs: int
) -> list[Figure]:
    end = math.floor(time.time() / STEP) * STEP
    start = end - (points - 1) * STEP
    params = {"query": PANEL_QUERY, "start": f"{start:.0f}", "end": f"{end:.0f}", "step": "5"}
    body = httpx.get(f"{url}/api/v1/query_range", params=params, timeout=30).content
    result = json.loads(body)["data"]["result"]
    parsed = parse_result(PANEL_QUERY, result)
    source = PrometheusSource(url)
    try:

        def poll() -> object:
            return series_points("traffic", source.query_range(PANEL_QUERY, start, end, STEP), STEP)

        def direct() -> object:  # what the poll would cost without requests and the library
            reply = source.endpoint.request("GET", "/api/v1/query_range", params=params,
                                            authenticated=False)  # fmt: skip
            result = json.loads(reply.body)["data"]["result"]
            return series_points("traffic", parse_result(PANEL_QUERY, result), STEP)

        cpu_ms(poll, 3)  # warm: connection open, code paths hot
        cpu_ms(direct, 3)
        app, plain, parse, numpy, bare = [], [], [], [], []
        for _ in range(runs):  # interleaved, so that a busy moment weighs on both
            app.append(cpu_ms(poll, polls))
            plain.append(cpu_ms(lambda: json.loads(body), polls))
            parse.append(cpu_ms(lambda: parse_result(PANEL_QUERY, result), polls))
            numpy.append(cpu_ms(lambda: series_points("traffic", parsed, STEP), polls))
            bare.append(cpu_ms(direct, polls))
    finally:
        source.close()
    ours, theirs = median(app), median(plain)
    transport = ours - theirs - median(parse) - median(numpy)
    size = f"{series} series × {points} points ({len(body) // 1024} KiB)"
    note = (
        f"{size}; of it: client and transport {transport:.2f} ms, json.loads {theirs:.2f} ms, "
        f"parse_result {median(parse):.2f} ms, numpy {median(numpy):.2f} ms; through "
        f"HttpEndpoint alone (no requests, no prometheus-api-client) {median(bare):.2f} ms "
        f"({median(bare) / theirs:.1f}× json.loads)"
    )
    ratio = Figure(
        fid, f"CPU per panel per poll against json.loads of the same bytes, {size}",
        ours, "ms", "≤ 2.5× json.loads", ours <= 2.5 * theirs, theirs, tuple(app),
        "plain json.loads of the same bytes", note,
    )  # fmt: skip
    if fid != "B1":
        return [ratio]
    panel = Figure(
        "B1b", f"CPU per panel per poll, {size}", ours, "ms", "≤ 5 ms", ours <= 5.0, None,
        tuple(app), "", note,
    )  # fmt: skip
    return [ratio, panel]


def measure_refresh(url: str, where: str, quick: bool, runs: int) -> list[Figure]:
    """B2 and B7: a steady-state refresh of the overview (1 h window, 5 s refresh) against
    a full refetch, and its latency against the same requests sent raw."""
    plan = GoldenPlan.build(GoldenSignalTemplates(), 3600.0)
    source = PrometheusSource(url)
    raw = httpx.Client(base_url=url, timeout=30)  # one keep-alive connection
    rows: list[dict[str, float]] = []
    try:
        for n in range(runs + 1):  # the first is a warm-up
            row = _refresh_once(source, raw, plan, 2 if quick else PAIRS)
            if n:
                rows.append(row)
    finally:
        source.close()
        raw.close()
    col = {key: [row[key] for row in rows] for key in rows[0]}
    tail_points, full_points = median(col["tail_points"]), median(col["full_points"])
    shares = [a - f for a, f in zip(col["tail_ms"], col["tail_floor_ms"], strict=True)]
    peer_shares = [a - f for a, f in zip(col["full_ms"], col["full_floor_ms"], strict=True)]
    floor, share = median(col["tail_floor_ms"]), median(shares)
    setting = f"1 h window, step {plan.step:g} s, {len(plan.queries)} range queries + 1 instant"
    latency_note = (
        f"{where}; {setting}; the app's CPU per refresh {median(col['tail_cpu_ms']):.1f} ms; "
        f"floor (raw, one keep-alive connection) {floor:.1f} ms, of it "
        f"Prometheus' own evaluation {median(col['tail_eval_ms']):.1f} ms; a full refetch: "
        f"floor {median(col['full_floor_ms']):.1f} ms, evaluation "
        f"{median(col['full_eval_ms']):.1f} ms"
    )
    return [
        Figure(
            "B2", "points fetched per steady-state refresh", tail_points, "points",
            "≤ 15 % of a full refetch", tail_points <= 0.15 * full_points, full_points,
            tuple(col["tail_points"]), FULL_REFETCH, f"{where}; {setting}",
        ),
        Figure(
            "B7", "the app's share of a refresh's latency, above the raw floor", share, "ms",
            "≤ max(10 ms, 20 % of the floor)", share <= max(10.0, 0.2 * floor),
            median(peer_shares), tuple(shares), FULL_REFETCH, latency_note,
        ),
        Figure(
            "B7b", "end-to-end latency of a steady-state refresh", median(col["tail_ms"]), "ms",
            "", None, median(col["full_ms"]), tuple(col["tail_ms"]), FULL_REFETCH,
            latency_note,
        ),
    ]  # fmt: skip


def _refresh_once(
    source: PrometheusSource, raw: httpx.Client, plan: GoldenPlan, pairs: int
) -> dict[str, float]:
    """One run: ``pairs`` steady-state refreshes, each next to the same requests sent raw
    (in turn first and second: whichever runs just after the other meets a warmer or a
    busier Prometheus), then one full refetch next to its raw requests."""
    now = time.time()
    store = GoldenStore()
    store.reset(plan)
    store.merge(fetch_golden(source, plan, now=now - plan.step))  # the refresh before
    since = store.since(plan)
    tail_start, tail_end = fetch_golden(source, plan, now=now, since=since).start, 0.0
    app: list[float] = []
    app_cpu: list[float] = []
    floor: list[float] = []
    for k in range(pairs):
        if k % 2:
            floor.append(_raw_refresh(raw, plan, tail_start, plan.bounds(now)[1]))
        started, cpu = time.perf_counter(), time.process_time()
        tail = fetch_golden(source, plan, now=now, since=since)
        store.merge(tail)
        app.append((time.perf_counter() - started) * 1000)
        app_cpu.append((time.process_time() - cpu) * 1000)
        tail_end = tail.end
        if not k % 2:
            floor.append(_raw_refresh(raw, plan, tail.start, tail.end))
    assert not tail.full

    peers = GoldenStore()  # the peers' way: everything again, every time
    peers.reset(plan)
    started = time.perf_counter()
    full = fetch_golden(source, plan, now=now)
    peers.merge(full)
    full_ms = (time.perf_counter() - started) * 1000
    assert full.full
    full_floor = _raw_refresh(raw, plan, full.start, full.end)
    return {
        "tail_points": tail.points, "full_points": full.points,
        "tail_ms": median(app), "full_ms": full_ms, "tail_cpu_ms": median(app_cpu),
        "tail_floor_ms": median(floor), "full_floor_ms": full_floor,
        "tail_eval_ms": _evaluation(raw, plan, tail_start, tail_end),
        "full_eval_ms": _evaluation(raw, plan, full.start, full.end),
    }  # fmt: skip


def _raw_requests(plan: GoldenPlan, start: float, end: float) -> list[tuple[str, dict[str, str]]]:
    """The requests of the app's refresh, as prometheus-api-client words them."""
    return [
        ("/api/v1/query_range",
         {"query": expr, "start": f"{start:.0f}", "end": f"{end:.0f}", "step": f"{plan.step:g}"})
        for _signal, expr in plan.queries
    ]  # fmt: skip


def _raw_refresh(raw: httpx.Client, plan: GoldenPlan, start: float, end: float) -> float:
    """The floor (ms): the same requests over one keep-alive connection, bodies read and
    not parsed."""
    started = time.perf_counter()
    for path, params in _raw_requests(plan, start, end):
        raw.get(path, params=params).raise_for_status()
    return (time.perf_counter() - started) * 1000


def _evaluation(raw: httpx.Client, plan: GoldenPlan, start: float, end: float) -> float:
    """Prometheus' own execution time of those requests (``stats=all``), in ms."""
    total = 0.0
    for path, params in _raw_requests(plan, start, end):
        total += _exec_seconds(raw.get(path, params={**params, "stats": "all"}).json())
    return total * 1000


def _exec_seconds(document: Any) -> float:
    timings = ((document.get("data") or {}).get("stats") or {}).get("timings") or {}
    return float(timings.get("execTotalTime", timings.get("evalTotalTime", 0.0)))
