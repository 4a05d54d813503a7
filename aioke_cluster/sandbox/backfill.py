"""Seed Prometheus' TSDB with the synthetic history, cached between starts.

The history is written in two-hour pieces (one TSDB block each, which is what ``promtool``
makes: it re-reads its whole input for every block) and converted while the next piece is
being written. The cache, keyed by a hash of the model and its parameters, keeps the blocks
and the running totals; a later start only appends the time since the last one, so the
history always ends a few minutes before now and live scraping carries on from there.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import logging
import os
import random
import resource
import shutil
import subprocess
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import platformdirs

from ..resources import slos_dir
from ..slos import Slo, load_slos
from .history import HistoryState, ModelledSli, header, modelled_sli, place_incidents, write_chunk
from .processes import MonitoringError, find_binary
from .traffic import (
    DAY,
    DEFAULT_INCIDENTS,
    SERVICE_PROFILES,
    WORKLOAD_JOB,
    Incident,
    ServiceProfile,
)

log = logging.getLogger(__name__)

MODEL_VERSION = 1  # bump whenever the same parameters would now give different samples
BLOCK_SECONDS = 7200  # promtool's block length
_WORKERS = 3  # promtool waits on fsync a third of its time: three keep two cores busy
_PENDING_CHUNKS = 2 * _WORKERS  # pieces written ahead of promtool: bounds staging disk use


@dataclass(frozen=True)
class HistoryPlan:
    """What history to make: how far back, how fine, and from which model."""

    days: float = 30.0
    fine_days: float = 7.0  # the most recent days have one sample a minute...
    fine_step_seconds: int = 60
    coarse_step_seconds: int = 300  # ...older ones one every five minutes, to seed in time
    end_lead_seconds: int = 180
    seed: int = 20240601
    profiles: tuple[ServiceProfile, ...] = SERVICE_PROFILES
    incidents: tuple[Incident, ...] = DEFAULT_INCIDENTS
    job: str = WORKLOAD_JOB

    def cache_key(self, slis: Iterable[ModelledSli]) -> str:
        doc = [MODEL_VERSION, asdict(self), [asdict(sli) for sli in slis]]
        return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class SeededHistory:
    """What :func:`seed_history` did."""

    start: float
    end: float
    blocks: int
    seconds: float
    generated_seconds_of_history: float  # 0 when everything came from the cache
    cache_dir: Path


@dataclass
class _Cache:
    root: Path
    anchor: float  # the end of the first history: incidents are placed relative to it
    state: HistoryState
    blocks: list[str] = field(default_factory=list)

    @property
    def blocks_dir(self) -> Path:
        return self.root / "blocks"

    @classmethod
    def open(cls, root: Path, start: float, end: float) -> _Cache:
        try:
            doc = json.loads((root / "state.json").read_text())
            cache = cls(root, float(doc["anchor"]), HistoryState.from_json(doc["state"]))
            cache.blocks = list(doc["blocks"])
        except (OSError, ValueError, KeyError, TypeError):
            cache = None
        if cache is None or not start <= cache.state.end <= end:
            shutil.rmtree(root, ignore_errors=True)  # too old to top up: start afresh
            cache = cls(root, end, HistoryState(end=start))
        cache.blocks_dir.mkdir(parents=True, exist_ok=True)
        # Blocks made by a start that crashed before saving its state are not in the list.
        for stray in set(os.listdir(cache.blocks_dir)) - set(cache.blocks):
            shutil.rmtree(cache.blocks_dir / stray)
        return cache

    def save(self) -> None:
        doc = {"anchor": self.anchor, "state": self.state.to_json(), "blocks": self.blocks}
        tmp = self.root / "state.json.tmp"
        tmp.write_text(json.dumps(doc))
        tmp.replace(self.root / "state.json")

    def prune(self, before: float) -> None:
        """Drop blocks that hold nothing newer than ``before``."""
        for block in list(self.blocks):
            meta = json.loads((self.blocks_dir / block / "meta.json").read_text())
            if meta["maxTime"] <= before * 1000:
                shutil.rmtree(self.blocks_dir / block)
                self.blocks.remove(block)


def seed_history(
    tsdb_path: Path,
    cache_dir: Path,
    slos: Iterable[Slo],
    plan: HistoryPlan | None = None,
    *,
    now: float | None = None,
) -> SeededHistory:
    """Put history blocks ending a few minutes before ``now`` into ``tsdb_path``.

    ``tsdb_path`` must be a fresh directory: blocks are hard-linked from the cache, and
    Prometheus only ever replaces block files, never edits them, so the cache stays intact.
    """
    began = time.monotonic()
    plan = plan or HistoryPlan()
    promtool = find_binary("promtool", "prometheus")
    if tsdb_path.exists() and any(tsdb_path.iterdir()):
        raise MonitoringError(f"{tsdb_path} is not empty; the history goes into a fresh TSDB")
    slis = [sli for slo in slos if (sli := modelled_sli(slo)) is not None]
    end = float(int((now or time.time()) - plan.end_lead_seconds) // 60 * 60)
    start = float(int(end - plan.days * DAY) // plan.coarse_step_seconds * plan.coarse_step_seconds)
    root = cache_dir / f"history-{plan.cache_key(slis)}"
    root.mkdir(parents=True, exist_ok=True)
    with (root.parent / f"{root.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two sandboxes starting at once share one cache
        cache = _Cache.open(root, start, end)
        generated = max(0.0, end - cache.state.end)
        if generated > 0:
            _extend(cache, end, plan, slis, promtool)
        cache.prune(start)
        cache.save()
        tsdb_path.mkdir(parents=True, exist_ok=True)
        for block in cache.blocks:
            _link_block(cache.blocks_dir / block, tsdb_path / block)
    seconds = time.monotonic() - began
    seeded = SeededHistory(start, end, len(cache.blocks), seconds, generated, cache.root)
    log.info("history seeded: %s", seeded)
    return seeded


def _chunks(begin: float, end: float, plan: HistoryPlan) -> Iterable[tuple[float, int]]:
    """(last sample, step) of pieces after ``begin``, each inside one block's time range."""
    fine_from = end - plan.fine_days * DAY
    cursor = begin
    while cursor < end:
        step = plan.fine_step_seconds if cursor >= fine_from else plan.coarse_step_seconds
        # promtool reads its input once per block it makes, plus once: one block a piece costs
        # least, even for the sparse five-minute pieces (measured).
        # A sample exactly on a boundary belongs to the next block: stop one step short.
        last = ((cursor + step) // BLOCK_SECONDS + 1) * BLOCK_SECONDS - step
        if step == plan.coarse_step_seconds:
            last = max(min(last, fine_from - fine_from % step), cursor + step)
        cursor = min(end, last)
        yield cursor, step


def _extend(
    cache: _Cache, end: float, plan: HistoryPlan, slis: list[ModelledSli], promtool: str
) -> None:
    staging = cache.root / "staging"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    incidents = place_incidents(plan.incidents, cache.anchor)
    labels = {"job": plan.job, "instance": plan.job}
    pending: list[Future[list[str]]] = []
    try:
        with ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix="promtool") as pool:
            for index, (chunk_end, step) in enumerate(_chunks(cache.state.end, end, plan)):
                path = staging / f"{index:05d}.om"
                with path.open("w", encoding="utf-8") as out:
                    out.write(header())
                    write_chunk(
                        out,
                        cache.state,
                        chunk_end,
                        profiles=plan.profiles,
                        incidents=incidents,
                        target_labels=labels,
                        step_seconds=step,
                        rng=random.Random(f"{plan.seed}:{cache.state.end}"),
                        slis=slis,
                    )
                    out.write("# EOF\n")
                pending.append(pool.submit(_convert, promtool, path, cache.blocks_dir))
                while len(pending) >= _PENDING_CHUNKS:
                    cache.blocks.extend(pending.pop(0).result())
            for future in pending:
                cache.blocks.extend(future.result())
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _convert(promtool: str, source: Path, blocks_dir: Path) -> list[str]:
    """Turn one OpenMetrics piece into blocks and move them into the cache."""
    out = source.with_suffix(".blocks")
    result = subprocess.run(  # noqa: S603 - our own promtool and files
        [promtool, "tsdb", "create-blocks-from", "openmetrics", "-q", str(source), str(out)],
        capture_output=True,
        text=True,
        check=False,
        # Each run is short and reads one two-hour piece: no garbage collection (~80 MB at
        # most) and one thread (the pool runs several) save a fifth of the CPU, measured.
        env={**os.environ, "GOGC": "off", "GOMAXPROCS": "1"},
    )
    if result.returncode != 0:
        raise MonitoringError(f"promtool could not import {source.name}: {result.stderr.strip()}")
    source.unlink()
    made = sorted(os.listdir(out))
    for block in made:
        (out / block).replace(blocks_dir / block)
    out.rmdir()
    return made


def _link_block(source: Path, target: Path) -> None:
    for path in source.rglob("*"):
        dest = target / path.relative_to(source)
        if path.is_dir():
            dest.mkdir(parents=True, exist_ok=True)
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        if path.name in ("meta.json", "tombstones"):
            shutil.copy2(path, dest)  # small, and the ones a TSDB may rewrite: own copies
            continue
        try:
            os.link(path, dest)
        except OSError:
            shutil.copy2(path, dest)  # another filesystem


def default_cache_dir() -> Path:
    """Where the sandbox keeps its history between starts (``AIOKE_HISTORY_CACHE`` overrides)."""
    override = os.environ.get("AIOKE_HISTORY_CACHE")
    return Path(override) if override else Path(platformdirs.user_cache_dir("aioke")) / "history"


def main(argv: list[str] | None = None) -> int:
    """Seed a TSDB and print what it took: ``python -m aioke_cluster.sandbox.backfill``."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--days", type=float, default=HistoryPlan.days)
    parser.add_argument("--slos", type=Path, default=slos_dir())
    parser.add_argument("--cache", type=Path, default=default_cache_dir())
    parser.add_argument("tsdb", type=Path, help="a fresh directory for the blocks")
    args = parser.parse_args(argv)
    plan = HistoryPlan(days=args.days, fine_days=min(args.days, HistoryPlan.fine_days))
    seeded = seed_history(args.tsdb, args.cache, load_slos(args.slos), plan)
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    cpu = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
    report = {**asdict(seeded), "cpu_seconds": round(cpu, 1), "cache_dir": str(seeded.cache_dir)}
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
