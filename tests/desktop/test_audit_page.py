"""The Audit page against the real control plane: rows, filters, details, the chain check."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from aioke_desktop.runtime.task_runner import TaskRunner
from aioke_desktop.ui.pages.audit import AuditPage
from desktop.ops_helpers import NO_POLLING, shown_page
from desktop.test_flags_page import change_behind_the_page, create_flag, new_key
from harness import Cluster

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


def rows(page: AuditPage) -> list[tuple[str, str, str]]:
    """(actor, action, resource) of the rows shown, newest first."""
    return [(e.actor, e.action, e.resource) for e in page.shown_entries()]


def refetched(qtbot: QtBot, page: AuditPage, change: Any) -> None:
    """Change a filter and wait for the page's next answer."""
    with qtbot.waitSignal(page.poller.data, timeout=10_000):
        change()
        page.apply_filters()


def test_rows_show_who_changed_what_and_the_details_show_before_and_after(
    qtbot: QtBot, cluster: Cluster, runner: TaskRunner
) -> None:
    operator = cluster.user("operator")
    key = new_key("audited")
    create_flag(operator, key, rollout_percentage=10)
    change_behind_the_page(operator, key, rollout_percentage=30)
    with shown_page(qtbot, AuditPage, runner, cluster, "viewer") as (page, _me):
        mine = [r for r in rows(page) if r[2] == f"flag/{key}"]
        name = operator.user.name
        assert mine == [(name, "flag.update", f"flag/{key}"), (name, "flag.create", f"flag/{key}")]
        assert page.chain.text().startswith("✔ Chain intact: all ")

        update = [e.action for e in page.shown_entries()].index("flag.update")
        page.view.table.selectRow(update)
        details = page.view.details.toPlainText()
        assert f"flag.update on flag/{key}" in details
        assert f"by {name}" in details
        assert "rollout_percentage\t10\t30" in details.replace("\n", "\t")


def test_filters_ask_the_server_for_matching_rows_only(
    qtbot: QtBot, cluster: Cluster, runner: TaskRunner
) -> None:
    alice, bob = cluster.user("operator"), cluster.user("operator")
    key = new_key("filtered")
    create_flag(alice, key)
    change_behind_the_page(bob, key, enabled=True)
    create_flag(bob, new_key("other"))
    with shown_page(qtbot, AuditPage, runner, cluster, "viewer") as (page, _me):
        refetched(qtbot, page, lambda: page.actor.setText(bob.user.name))
        assert {r[0] for r in rows(page)} == {bob.user.name}
        assert [r[1] for r in rows(page)] == ["flag.create", "flag.update", "auth.login"]

        refetched(qtbot, page, lambda: page.resource.setText(f"flag/{key}"))
        assert rows(page) == [(bob.user.name, "flag.update", f"flag/{key}")]

        refetched(qtbot, page, lambda: (page.actor.clear(), page.action.setEditText("flag.cr")))
        assert rows(page) == [(alice.user.name, "flag.create", f"flag/{key}")]

        page.resource.clear()
        page.action.setEditText("")
        refetched(qtbot, page, lambda: page.actor.setText("nobody-at-all"))
        assert rows(page) == []
        assert page.count.text() == "0 entries"


def test_the_time_window_is_the_servers_clock(
    qtbot: QtBot, fresh_cluster: Cluster, runner: TaskRunner
) -> None:
    operator = fresh_cluster.user("operator")
    create_flag(operator, "long-ago")
    fresh_cluster.clock.advance(3 * 3600)  # the server's clock runs hours ahead of ours
    create_flag(fresh_cluster.user("operator"), "just-now")
    with shown_page(qtbot, AuditPage, runner, fresh_cluster, "viewer") as (page, _me):
        assert page.since.currentText() == "Last 24 hours"
        resources = {r[2] for r in rows(page)}
        assert {"flag/long-ago", "flag/just-now"} <= resources
        refetched(qtbot, page, lambda: page.since.setCurrentIndex(1))  # last hour
        resources = {r[2] for r in rows(page)}
        assert "flag/just-now" in resources
        assert "flag/long-ago" not in resources


def test_a_new_change_appears_from_the_event_feed_without_a_poll(
    qtbot: QtBot, cluster: Cluster, runner: TaskRunner
) -> None:
    operator = cluster.user("operator")
    with shown_page(qtbot, AuditPage, runner, cluster, "viewer", view=NO_POLLING) as (page, _me):
        key = new_key("fresh")
        create_flag(operator, key)
        made = (operator.user.name, "flag.create", f"flag/{key}")
        qtbot.waitUntil(lambda: rows(page)[:1] == [made], timeout=10_000)
        assert rows(page).count(made) == 1


def test_a_tampered_chain_names_the_first_bad_entry(
    qtbot: QtBot, fresh_cluster: Cluster, runner: TaskRunner
) -> None:
    operator = fresh_cluster.user("operator")
    for n in range(4):
        create_flag(operator, f"chain-{n}")
    with shown_page(qtbot, AuditPage, runner, fresh_cluster, "viewer") as (page, _me):
        assert page.chain.result is not None
        assert page.chain.result.ok
        seqs = [e.seq for e in page.shown_entries() if e.resource == "flag/chain-2"]
        conn = fresh_cluster.sql()
        conn.execute("DROP TRIGGER audit_append_only_update")  # as an intruder would
        conn.execute("UPDATE audit SET actor = 'someone-else' WHERE seq = ?", seqs)
        conn.close()
        with qtbot.waitSignal(page.poller.data, timeout=10_000):
            page.verify_button.click()
        assert page.chain.text().startswith(f"✖ The audit chain is broken at entry #{seqs[0]}:")
        assert "background" in page.chain.styleSheet()  # a red band, not a quiet line


def test_the_rows_shown_export_to_csv(
    qtbot: QtBot, cluster: Cluster, runner: TaskRunner, tmp_path: Path
) -> None:
    operator = cluster.user("operator")
    key = new_key("csv")
    create_flag(operator, key)
    with shown_page(qtbot, AuditPage, runner, cluster, "viewer") as (page, _me):
        refetched(qtbot, page, lambda: page.resource.setText(f"flag/{key}"))
        target = tmp_path / "audit.csv"
        page.export_csv(target)
        qtbot.waitUntil(lambda: page.status.text().startswith("Exported 1 rows"), timeout=5000)
        with target.open(encoding="utf-8") as file:
            exported = list(csv.DictReader(file))
        assert [(r["actor"], r["action"], r["resource"]) for r in exported] == [
            (operator.user.name, "flag.create", f"flag/{key}")
        ]
        assert '"key": "' + key in exported[0]["after"]


def test_the_audit_models_pass_the_model_tester(
    qtbot: QtBot, qtmodeltester: Any, cluster: Cluster, runner: TaskRunner
) -> None:
    create_flag(cluster.user("operator"), new_key("tested"))
    with shown_page(qtbot, AuditPage, runner, cluster, "viewer") as (page, _me):
        assert page.view.model.rowCount() > 0
        qtmodeltester.check(page.view.model)
        qtmodeltester.check(page.view.proxy)
