"""Server times (RFC 3339 UTC) as a person reads them: local time, the date only when needed."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_server_time(text: str) -> datetime | None:
    """The moment an API time names, or None when it is not one."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def local_time_text(text: str, now: datetime | None = None) -> str:
    """``14:03:12`` for today, ``3 May 14:03`` otherwise; the text itself if it is no time."""
    moment = parse_server_time(text)
    if moment is None:
        return text
    local = moment.astimezone()
    today = (now or datetime.now().astimezone()).date()
    if local.date() == today:
        return f"{local:%H:%M:%S}"
    return f"{local.day} {local:%b %H:%M}"
