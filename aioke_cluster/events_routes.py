"""``GET /events``: the long-polled change feed."""

from __future__ import annotations

import asyncio
import random
import time

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from . import events
from .auth.principal import Principal
from .deps import get_services, requires
from .services import Services

router = APIRouter(tags=["events"])

MAX_WAIT_SECONDS = 30.0
# A waiting reader answers at most this often: at 50 changes a second, 200 readers woken by
# each one would ask 10,000 times a second and starve the writers; batched, they ask 200.
BATCH_SECONDS = 1.0
# Each answer waits up to this much longer, at random: readers that started together stay in
# step otherwise, and 200 answers back to back held the event loop (and every write) for
# 100-200 ms once a second.
BATCH_JITTER_SECONDS = 0.5


@router.get("/events")
async def list_events(
    after: int = Query(0, ge=0, description="Answer events with a larger seq"),
    wait: float = Query(0, ge=0, le=MAX_WAIT_SECONDS, description="Long-poll up to this long"),
    limit: int = Query(500, ge=1, le=1000),
    services: Services = Depends(get_services),
    _: Principal = Depends(requires("viewer")),
) -> Response:
    """Events after ``after``; with ``wait`` the answer waits until there is one (or not).

    A coroutine, so that waiting readers hold no worker thread; the reads are short and
    never wait for a writer (WAL), so they run on the event loop. A reader that waits gets
    the changes of at least ``BATCH_SECONDS`` in one answer; one that does not wait (catching
    up) gets its answer at once.
    """
    deadline = services.clock.now() + wait
    batch = BATCH_SECONDS + random.uniform(0, BATCH_JITTER_SECONDS)
    batched_until = time.monotonic() + min(wait, batch)
    while True:
        generation = services.events.generation()
        with services.db.read() as conn:
            newest = events.head(conn)  # cheap: decode the events once, when answering
        remaining = deadline - services.clock.now()
        if newest > after and remaining > 0 and time.monotonic() < batched_until:
            await asyncio.sleep(batched_until - time.monotonic())
            continue
        if newest > after or remaining <= 0:
            with services.db.read() as conn:
                found = events.recent_json(conn, after, limit, services.events.encoded)
                newest = events.head(conn)
            body = f'{{"events": {found}, "head": {newest}}}'
            return Response(body, media_type="application/json")
        # Re-check at least every second: a publisher may wake us before it commits.
        await services.events.wait_past_async(generation, min(remaining, 1.0))
