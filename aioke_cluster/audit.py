"""The append-only, hash-chained audit log.

Each row's ``hash`` is SHA-256 over ``prev_hash`` and the canonical JSON of the row, so an
edit, a deletion or a reordering made behind the server's back breaks the chain; triggers
refuse UPDATE and DELETE so that such a change needs deliberate raw SQL.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from .clock import iso

GENESIS = "0" * 64

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    time TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    resource TEXT NOT NULL,
    before TEXT,
    after TEXT,
    request_id TEXT,
    idempotency_key TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_resource ON audit(resource, seq);
CREATE TRIGGER IF NOT EXISTS audit_append_only_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_append_only_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""

_COLUMNS = (
    "seq",
    "time",
    "actor",
    "action",
    "resource",
    "before",
    "after",
    "request_id",
    "idempotency_key",
    "prev_hash",
)


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _row_hash(row: dict[str, Any]) -> str:
    body = canonical_json({k: row[k] for k in _COLUMNS})
    return hashlib.sha256((row["prev_hash"] + body).encode()).hexdigest()


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    time: str
    actor: str
    action: str
    resource: str
    before: Any
    after: Any
    request_id: str | None
    idempotency_key: str | None
    prev_hash: str
    hash: str

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> AuditEntry:
        data = dict(row)
        for key in ("before", "after"):
            data[key] = None if data[key] is None else json.loads(data[key])
        return cls(**data)

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def append(
    conn: sqlite3.Connection,
    *,
    now: float,
    actor: str,
    action: str,
    resource: str,
    before: Any = None,
    after: Any = None,
    request_id: str | None = None,
    idempotency_key: str | None = None,
) -> AuditEntry:
    """Append one row; call inside the write transaction of the action it records."""
    last = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    seq_row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'audit'").fetchone()
    next_seq = (seq_row[0] if seq_row else 0) + 1
    row: dict[str, Any] = {
        "seq": next_seq,
        "time": iso(now),
        "actor": actor,
        "action": action,
        "resource": resource,
        "before": None if before is None else canonical_json(before),
        "after": None if after is None else canonical_json(after),
        "request_id": request_id,
        "idempotency_key": idempotency_key,
        "prev_hash": last["hash"] if last else GENESIS,
    }
    row["hash"] = _row_hash(row)
    conn.execute(
        f"INSERT INTO audit ({', '.join([*_COLUMNS, 'hash'])}) "  # noqa: S608 - fixed columns
        f"VALUES ({', '.join('?' * (len(_COLUMNS) + 1))})",
        [row[c] for c in (*_COLUMNS, "hash")],
    )
    return AuditEntry.from_row(
        conn.execute("SELECT * FROM audit WHERE seq = ?", (next_seq,)).fetchone()
    )


@dataclass(frozen=True)
class Verification:
    ok: bool
    count: int
    head_hash: str
    first_bad_seq: int | None


def verify(conn: sqlite3.Connection) -> Verification:
    """Walk the chain from the start; report the first row that does not follow."""
    expected_seq, expected_prev, count = 1, GENESIS, 0
    first_bad: int | None = None
    for raw in conn.execute("SELECT * FROM audit ORDER BY seq"):
        row = dict(raw)
        count += 1
        if first_bad is None and (
            row["seq"] != expected_seq
            or row["prev_hash"] != expected_prev
            or row["hash"] != _row_hash(row)
        ):
            first_bad = min(row["seq"], expected_seq)
        expected_seq, expected_prev = row["seq"] + 1, row["hash"]
    # AUTOINCREMENT remembers the highest seq ever issued: a deleted tail shows up here.
    issued = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'audit'").fetchone()
    if first_bad is None and issued and issued[0] != expected_seq - 1:
        first_bad = expected_seq
    return Verification(first_bad is None, count, expected_prev, first_bad)


def query(
    conn: sqlite3.Connection,
    *,
    after_seq: int | None = None,
    since_time: str | None = None,
    resource: str | None = None,
    actor: str | None = None,
    action_prefix: str | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    clauses: list[str] = []
    args: list[object] = []
    if after_seq is not None:
        clauses.append("seq > ?")
        args.append(after_seq)
    if since_time is not None:
        clauses.append("time >= ?")
        args.append(since_time)
    if resource is not None:
        clauses.append("resource = ?")
        args.append(resource)
    if actor is not None:
        clauses.append("actor = ?")
        args.append(actor)
    if action_prefix is not None:
        clauses.append("action LIKE ? ESCAPE '\\'")
        args.append(action_prefix.replace("%", "\\%").replace("_", "\\_") + "%")
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = conn.execute(
        f"SELECT * FROM audit {where} ORDER BY seq LIMIT ?",  # noqa: S608 - clauses are fixed
        [*args, limit],
    )
    return [AuditEntry.from_row(r) for r in rows]
