"""Flags in SQLite, and the staleness rules that read their timestamps.

Flags are never deleted, only archived: the audit log refers to them and a key, once used,
keeps meaning the same flag.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, replace
from typing import Any

from ..clock import iso
from .model import Flag, FlagSpec, FlagType, Stale

SCHEMA = """
CREATE TABLE IF NOT EXISTS flags (
    key TEXT PRIMARY KEY,
    description TEXT NOT NULL,
    type TEXT NOT NULL CHECK (type IN
        ('release', 'experiment', 'operational', 'kill-switch', 'permission')),
    enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    rollout_percentage INTEGER NOT NULL CHECK (rollout_percentage BETWEEN 0 AND 100),
    stickiness TEXT NOT NULL,
    targeting TEXT NOT NULL,
    variants TEXT NOT NULL,
    parent TEXT REFERENCES flags(key),
    parent_variants TEXT,
    owner TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    -- When the flag last became enabled at 100 %; NULL while it is not. Drives "cleanup".
    full_rollout_since REAL,
    version INTEGER NOT NULL,
    archived INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1))
);
CREATE INDEX IF NOT EXISTS flags_parent ON flags(parent);
"""

DAY = 86_400.0
# Unleash's expected lifetimes: a flag of this type unchanged for longer is probably stale.
STALE_AFTER_DAYS: dict[FlagType, int | None] = {
    "release": 40,
    "experiment": 40,
    "operational": 7,
    "kill-switch": None,
    "permission": None,
}
# A flag serving everyone this long has done its job: the code path can lose its flag.
CLEANUP_AFTER_DAYS = 14


@dataclass(frozen=True)
class StoredFlag:
    """One row of ``flags``: the definition plus the bookkeeping the server owns."""

    key: str
    spec: FlagSpec
    created_at: float
    updated_at: float
    full_rollout_since: float | None
    version: int
    archived: bool

    def stale(self, now: float) -> Stale | None:
        """``"cleanup"`` after 14 days fully rolled out, ``"stale"`` past the type's lifetime.

        Archived flags are neither: they are already cleaned up.
        """
        if self.archived:
            return None
        since = self.full_rollout_since
        if since is not None and now - since >= CLEANUP_AFTER_DAYS * DAY:
            return "cleanup"
        lifetime = STALE_AFTER_DAYS[self.spec.type]
        if lifetime is not None and now - self.updated_at >= lifetime * DAY:
            return "stale"
        return None

    def to_api(self, now: float) -> Flag:
        return Flag(
            key=self.key,
            **self.spec.model_dump(),
            created_at=iso(self.created_at),
            updated_at=iso(self.updated_at),
            version=self.version,
            archived=self.archived,
            stale=self.stale(now),
        )

    def to_json(self, now: float) -> dict[str, Any]:
        return self.to_api(now).model_dump(mode="json")

    def changed(self, spec: FlagSpec, now: float) -> StoredFlag:
        """This flag with a new definition, one version later."""
        return replace(
            self,
            spec=spec,
            updated_at=now,
            full_rollout_since=_full_rollout_since(self.full_rollout_since, spec, now),
            version=self.version + 1,
        )

    def archived_at(self, now: float) -> StoredFlag:
        return replace(self, archived=True, updated_at=now, version=self.version + 1)


def new_flag(key: str, spec: FlagSpec, now: float) -> StoredFlag:
    return StoredFlag(key, spec, now, now, _full_rollout_since(None, spec, now), 1, False)


def _full_rollout_since(previous: float | None, spec: FlagSpec, now: float) -> float | None:
    if not (spec.enabled and spec.rollout_percentage == 100):
        return None
    return now if previous is None else previous


def _from_row(row: sqlite3.Row) -> StoredFlag:
    parent_variants = row["parent_variants"]
    depends_on = None
    if row["parent"] is not None:
        depends_on = {
            "flag": row["parent"],
            "variants": None if parent_variants is None else json.loads(parent_variants),
        }
    spec = FlagSpec.model_validate(
        {
            "description": row["description"],
            "type": row["type"],
            "enabled": bool(row["enabled"]),
            "rollout_percentage": row["rollout_percentage"],
            "stickiness": row["stickiness"],
            "targeting": json.loads(row["targeting"]),
            "variants": json.loads(row["variants"]),
            "depends_on": depends_on,
            "owner": row["owner"],
        }
    )
    return StoredFlag(
        key=row["key"],
        spec=spec,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        full_rollout_since=row["full_rollout_since"],
        version=row["version"],
        archived=bool(row["archived"]),
    )


def _values(flag: StoredFlag) -> dict[str, Any]:
    spec = flag.spec.model_dump(mode="json")
    depends_on = spec["depends_on"]
    parent_variants = None if depends_on is None else depends_on["variants"]
    return {
        "key": flag.key,
        "description": spec["description"],
        "type": spec["type"],
        "enabled": int(spec["enabled"]),
        "rollout_percentage": spec["rollout_percentage"],
        "stickiness": spec["stickiness"],
        "targeting": json.dumps(spec["targeting"]),
        "variants": json.dumps(spec["variants"]),
        "parent": None if depends_on is None else depends_on["flag"],
        "parent_variants": None if parent_variants is None else json.dumps(parent_variants),
        "owner": spec["owner"],
        "created_at": flag.created_at,
        "updated_at": flag.updated_at,
        "full_rollout_since": flag.full_rollout_since,
        "version": flag.version,
        "archived": int(flag.archived),
    }


# The column list, in the order _values gives them, so the two cannot drift apart.
_COLUMNS = tuple(_values(new_flag("x", FlagSpec(owner="x"), 0.0)))


def load(conn: sqlite3.Connection, key: str) -> StoredFlag | None:
    row = conn.execute("SELECT * FROM flags WHERE key = ?", (key,)).fetchone()
    return None if row is None else _from_row(row)


def load_all(conn: sqlite3.Connection, *, include_archived: bool) -> list[StoredFlag]:
    where = "" if include_archived else "WHERE archived = 0"
    rows = conn.execute(f"SELECT * FROM flags {where} ORDER BY key")  # noqa: S608 - fixed
    return [_from_row(r) for r in rows]


def insert(conn: sqlite3.Connection, flag: StoredFlag) -> None:
    values = _values(flag)
    conn.execute(
        f"INSERT INTO flags ({', '.join(_COLUMNS)}) "  # noqa: S608 - fixed columns
        f"VALUES ({', '.join('?' * len(_COLUMNS))})",
        [values[c] for c in _COLUMNS],
    )


def save(conn: sqlite3.Connection, flag: StoredFlag) -> None:
    """Write a changed flag over its stored row."""
    values = _values(flag)
    settable = [c for c in _COLUMNS if c != "key"]
    conn.execute(
        f"UPDATE flags SET {', '.join(f'{c} = ?' for c in settable)} "  # noqa: S608 - fixed
        "WHERE key = ?",
        [*(values[c] for c in settable), flag.key],
    )


def dependents(conn: sqlite3.Connection, key: str) -> list[str]:
    """Keys of the unarchived flags that depend on ``key``."""
    rows = conn.execute(
        "SELECT key FROM flags WHERE parent = ? AND archived = 0 ORDER BY key", (key,)
    )
    return [r["key"] for r in rows]


def dependency_problem(conn: sqlite3.Connection, key: str, spec: FlagSpec) -> str | None:
    """Why ``spec.depends_on`` cannot be saved for flag ``key``, or None when it can."""
    depends_on = spec.depends_on
    if depends_on is None:
        return None
    if depends_on.flag == key:
        return "a flag cannot depend on itself"
    parent = load(conn, depends_on.flag)
    if parent is None:
        return f"the parent flag {depends_on.flag} does not exist"
    if parent.archived:
        return f"the parent flag {depends_on.flag} is archived"
    offered = {v.name for v in parent.spec.variants}
    missing = sorted(set(depends_on.variants or ()) - offered)
    if missing:
        return f"the parent flag {depends_on.flag} has no variant {', '.join(missing)}"
    seen = {key}
    ancestor: StoredFlag | None = parent
    while ancestor is not None:
        if ancestor.key in seen:
            return f"depending on {depends_on.flag} would make a cycle through {ancestor.key}"
        seen.add(ancestor.key)
        grandparent = ancestor.spec.depends_on
        ancestor = None if grandparent is None else load(conn, grandparent.flag)
    return None


def removed_variant_problem(conn: sqlite3.Connection, key: str, spec: FlagSpec) -> str | None:
    """Why ``key`` cannot drop variants that a dependent flag requires, or None."""
    offered = {v.name for v in spec.variants}
    for child_key in dependents(conn, key):
        child = load(conn, child_key)
        wanted = child.spec.depends_on.variants if child and child.spec.depends_on else None
        missing = sorted(set(wanted or ()) - offered)
        if missing:
            return f"the flag {child_key} depends on variant {', '.join(missing)} of this flag"
    return None
