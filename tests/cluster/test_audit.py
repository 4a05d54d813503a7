"""The audit log: one row per action, append-only, and tampering is found every time."""

from __future__ import annotations

import sqlite3

import pytest

from harness import Cluster, UserClient


def _five_changes(cluster: Cluster) -> UserClient:
    client = cluster.user("operator")
    for n in range(5):
        reply = client.post(
            "/flags",
            json={"key": f"audited-{n}", "owner": "sre"},
            headers={"Idempotency-Key": str(n)},
        )
        assert reply.status_code == 201
    return client


def _untrigger(conn: sqlite3.Connection) -> None:
    """What an attacker with the database file does first."""
    conn.execute("DROP TRIGGER audit_append_only_update")
    conn.execute("DROP TRIGGER audit_append_only_delete")


def test_each_change_leaves_one_row_with_actor_request_id_and_key(fresh_cluster: Cluster) -> None:
    client = fresh_cluster.user("operator")
    reply = client.post(
        "/flags",
        json={"key": "one-row", "owner": "sre"},
        headers={"Idempotency-Key": "abc", "X-Request-ID": "req-42"},
    )
    client.post(  # a retry is a replay, not a second row
        "/flags",
        json={"key": "one-row", "owner": "sre"},
        headers={"Idempotency-Key": "abc", "X-Request-ID": "req-43"},
    )
    assert reply.status_code == 201
    rows = client.get("/audit", params={"resource": "flag/one-row"}).json()
    assert len(rows) == 1
    row = rows[0]
    assert (row["actor"], row["action"], row["request_id"], row["idempotency_key"]) == (
        client.user.name,
        "flag.create",
        "req-42",
        "abc",
    )
    assert row["before"] is None
    assert row["after"]["key"] == "one-row"


def test_the_log_can_be_read_by_actor_and_since(fresh_cluster: Cluster) -> None:
    client = _five_changes(fresh_cluster)
    everything = client.get("/audit").json()
    later = client.get("/audit", params={"since": everything[2]["seq"]}).json()
    assert [r["seq"] for r in later] == [r["seq"] for r in everything[3:]]
    mine = client.get("/audit", params={"actor": client.user.name, "limit": 2}).json()
    assert len(mine) == 2
    assert {r["actor"] for r in mine} == {client.user.name}


def test_triggers_refuse_updates_and_deletes(fresh_cluster: Cluster) -> None:
    _five_changes(fresh_cluster)
    conn = fresh_cluster.sql()
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE audit SET actor = 'mallory' WHERE seq = 2")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM audit WHERE seq = 2")


def _edit(conn: sqlite3.Connection, target: int) -> None:
    conn.execute('UPDATE audit SET after = \'{"key":"forged"}\' WHERE seq = ?', (target,))


def _delete(conn: sqlite3.Connection, target: int) -> None:
    conn.execute("DELETE FROM audit WHERE seq = ?", (target,))


def _reorder(conn: sqlite3.Connection, target: int) -> None:
    # Swap two rows' places, hashes and all.
    conn.execute("UPDATE audit SET seq = -1 WHERE seq = ?", (target,))
    conn.execute("UPDATE audit SET seq = ? WHERE seq = ?", (target, target + 1))
    conn.execute("UPDATE audit SET seq = ? WHERE seq = -1", (target + 1,))


def _recompute_after_edit(conn: sqlite3.Connection, target: int) -> None:
    # A careful forger recomputes the edited row's own hash; the next row still disagrees.
    import hashlib
    import json

    _edit(conn, target)
    row = dict(conn.execute("SELECT * FROM audit WHERE seq = ?", (target,)).fetchone())
    fields = (
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
    body = json.dumps({k: row[k] for k in fields}, sort_keys=True, separators=(",", ":"))
    forged = hashlib.sha256((row["prev_hash"] + body).encode()).hexdigest()
    conn.execute("UPDATE audit SET hash = ? WHERE seq = ?", (forged, target))


@pytest.mark.parametrize(
    ("tamper", "target", "first_bad"),
    [
        (_edit, 3, 3),
        (_recompute_after_edit, 3, 4),
        (_delete, 3, 3),
        (_delete, 1, 1),
        (_reorder, 2, 2),
    ],
    ids=["edit", "edit-and-rehash", "delete-middle", "delete-first", "reorder"],
)
def test_verify_finds_tampering(
    fresh_cluster: Cluster, tamper, target: int, first_bad: int
) -> None:
    client = _five_changes(fresh_cluster)
    clean = client.get("/audit/verify").json()
    assert clean["ok"] is True
    assert clean["first_bad_seq"] is None

    conn = fresh_cluster.sql()
    _untrigger(conn)
    tamper(conn, target)
    report = client.get("/audit/verify").json()
    assert report["ok"] is False
    assert report["first_bad_seq"] == first_bad


def test_verify_finds_a_deleted_tail(fresh_cluster: Cluster) -> None:
    client = _five_changes(fresh_cluster)
    conn = fresh_cluster.sql()
    last = conn.execute("SELECT max(seq) FROM audit").fetchone()[0]
    _untrigger(conn)
    _delete(conn, last)
    report = client.get("/audit/verify").json()
    assert report["ok"] is False
    assert report["first_bad_seq"] == last
