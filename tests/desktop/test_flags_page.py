"""The Flags page against the real control plane: the table, live updates, the editor."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from aioke_desktop.runtime.task_runner import TaskRunner
from aioke_desktop.ui.dialogs.action_prompts import StaleEditDialog
from aioke_desktop.ui.dialogs.compare import CompareDialog
from aioke_desktop.ui.dialogs.flag_editor import FlagEditor
from aioke_desktop.ui.pages.flags import FlagsPage
from desktop.ops_helpers import NO_POLLING, Dialogs, shown_page
from harness import Cluster, UserClient

# Shown top-level widgets and dialogs make the offscreen platform say so; nothing is wrong.
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


def new_key(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def create_flag(client: UserClient, key: str, **settings: Any) -> dict[str, Any]:
    reply = client.post(
        "/flags", json={"key": key, "owner": "sre", **settings}, headers={"Idempotency-Key": key}
    )
    assert reply.status_code == 201, reply.text
    return dict(reply.json())


def change_behind_the_page(client: UserClient, key: str, **changes: Any) -> None:
    etag = client.get(f"/flags/{key}").headers["etag"]
    reply = client.patch(f"/flags/{key}", json=changes, headers={"If-Match": etag})
    assert reply.status_code == 200, reply.text


def row_texts(page: FlagsPage, key: str) -> list[str]:
    row = page.model.row_of(key)
    assert row is not None, f"{key} is not in the table"
    return [page.model.index(row, c).data() for c in range(page.model.columnCount())]


def open_editor(qtbot: QtBot, page: FlagsPage, dialogs: Dialogs, key: str) -> FlagEditor:
    page.select(key)
    assert page.edit_button.isEnabled(), page.edit_button.toolTip()
    page.edit_button.click()
    return dialogs.wait_for(qtbot, FlagEditor)


def test_the_table_shows_each_flags_settings(
    qtbot: QtBot, cluster: Cluster, runner: TaskRunner
) -> None:
    operator = cluster.user("operator")
    parent, child = new_key("parent"), new_key("child")
    create_flag(operator, parent, enabled=True)
    create_flag(
        operator,
        child,
        owner="payments-team",
        type="experiment",
        enabled=True,
        rollout_percentage=25,
        variants=[{"name": "a", "weight": 50}, {"name": "b", "weight": 50}],
        depends_on={"flag": parent},
    )
    with shown_page(qtbot, FlagsPage, runner, cluster, "viewer") as (page, _user):
        texts = row_texts(page, child)
        assert texts[:7] == [
            child, "experiment", "On", "25 %", "a 50 % / b 50 %", parent, "payments-team",
        ]  # fmt: skip
        assert texts[8] == ""  # neither stale nor due for cleanup
        who = f"by {operator.user.name}"  # from the event feed, as it catches up
        qtbot.waitUntil(lambda: row_texts(page, child)[7].endswith(who), timeout=10_000)


def test_a_change_made_elsewhere_reaches_the_row_through_the_event_feed(
    qtbot: QtBot, cluster: Cluster, runner: TaskRunner
) -> None:
    operator = cluster.user("operator")
    key = new_key("live")
    create_flag(operator, key)
    with shown_page(qtbot, FlagsPage, runner, cluster, "viewer", view=NO_POLLING) as (page, _u):
        assert row_texts(page, key)[2] == "Off"
        with qtbot.assertNotEmitted(page.poller.fetch_started, wait=0):
            change_behind_the_page(operator, key, enabled=True, rollout_percentage=10)
            qtbot.waitUntil(lambda: row_texts(page, key)[2:4] == ["On", "10 %"], timeout=10_000)
        born = new_key("born")
        create_flag(operator, born)
        qtbot.waitUntil(lambda: page.model.row_of(born) is not None, timeout=10_000)


def test_editing_a_flag_changes_it_on_the_server_and_in_its_history(
    qtbot: QtBot, cluster: Cluster, runner: TaskRunner
) -> None:
    operator = cluster.user("operator")
    key = new_key("edit")
    create_flag(operator, key, rollout_percentage=10)
    with shown_page(qtbot, FlagsPage, runner, cluster, "operator", view=NO_POLLING) as (page, me):
        dialogs = Dialogs(page.flag_actions.actions)
        editor = open_editor(qtbot, page, dialogs, key)
        assert editor.rollout_value.value() == 10
        editor.enabled.setChecked(True)
        editor.rollout.setValue(40)  # the slider drives the number
        editor.include.setPlainText("vip-1, vip-2")
        with qtbot.waitSignal(editor.finished, timeout=10_000):
            editor.save_button.click()
        on_server = operator.get(f"/flags/{key}").json()
        assert (on_server["enabled"], on_server["rollout_percentage"]) == (True, 40)
        assert on_server["targeting"]["include"] == ["vip-1", "vip-2"]
        assert row_texts(page, key)[2:4] == ["On", "40 %"]
        assert page.status.text() == f"Done: Save flag {key}."
        history = page.history.view.model
        qtbot.waitUntil(lambda: history.rowCount() == 2, timeout=10_000)
        update = history.item(1)
        assert (update.action, update.actor) == ("flag.update", me.name)
        assert "rollout_percentage: 10 → 40" in history.index(1, 5).data()


def test_a_stale_edit_names_who_changed_the_flag_and_overwrites_nothing(
    qtbot: QtBot, cluster: Cluster, runner: TaskRunner
) -> None:
    operator, rival = cluster.user("operator"), cluster.user("operator")
    key = new_key("stale")
    create_flag(operator, key, rollout_percentage=10)
    with shown_page(qtbot, FlagsPage, runner, cluster, "operator") as (page, _me):
        dialogs = Dialogs(page.flag_actions.actions)
        editor = open_editor(qtbot, page, dialogs, key)
        change_behind_the_page(rival, key, rollout_percentage=75)
        warned = f"changed by {rival.user.name} at "  # heard from the feed while editing
        qtbot.waitUntil(lambda: warned in editor.problems_label.text(), timeout=10_000)
        assert editor.problems_label.text().endswith("Saving will be refused: reload first.")
        editor.rollout_value.setValue(20)
        editor.save_button.click()

        stale = dialogs.wait_for(qtbot, StaleEditDialog)
        sentence = stale.sentence.text()
        assert f"flag/{key} was changed by {rival.user.name} at " in sentence
        assert sentence.endswith("since you loaded it.")
        assert operator.get(f"/flags/{key}").json()["rollout_percentage"] == 75
        assert editor.isVisible()
        assert editor.save_button.isEnabled()

        stale.compare_button.click()
        compare = dialogs.wait_for(qtbot, CompareDialog)
        changed = {c.path: (c.before, c.after) for c in compare.changes}
        assert changed["rollout_percentage"] == ("10", "75")
        assert changed["version"] == ("1", "2")
        compare.reject()

        stale.reload_button.click()
        qtbot.waitUntil(
            lambda: editor.flag is not None and editor.flag.version == 2, timeout=10_000
        )
        assert editor.rollout_value.value() == 75
        assert "version 2" in editor.windowTitle()
        editor.rollout_value.setValue(20)
        with qtbot.waitSignal(editor.finished, timeout=10_000):
            editor.save_button.click()
        assert operator.get(f"/flags/{key}").json()["rollout_percentage"] == 20


def test_variant_weights_that_do_not_add_up_are_refused_before_sending(
    qtbot: QtBot, cluster: Cluster, runner: TaskRunner
) -> None:
    operator = cluster.user("operator")
    key = new_key("weights")
    create_flag(operator, key)
    with shown_page(qtbot, FlagsPage, runner, cluster, "operator") as (page, _me):
        dialogs = Dialogs(page.flag_actions.actions)
        editor = open_editor(qtbot, page, dialogs, key)
        editor.variants.add_button.click()
        editor.variants.add_button.click()
        names = editor.variants.rows
        editor.variants._name(names[0]).setText("control")
        editor.variants._weight(names[0]).setValue(60)
        editor.variants._name(names[1]).setText("treatment")
        editor.variants._weight(names[1]).setValue(30)
        assert editor.variants.total.text() == "Total 90 % — must be 100 %"

        with qtbot.assertNotEmitted(page.flag_actions.actions.started, wait=300):
            editor.save_button.click()
        assert "Variant weights add up to 90 %, not 100 %." in editor.problems_label.text()
        assert editor.problems_label.isVisible()
        assert operator.get(f"/flags/{key}").json()["variants"] == []

        editor.variants._weight(names[1]).setValue(40)
        assert editor.variants.total.text() == "Total 100 %"
        with qtbot.waitSignal(editor.finished, timeout=10_000):
            editor.save_button.click()
        assert [v["weight"] for v in operator.get(f"/flags/{key}").json()["variants"]] == [60, 40]
        assert row_texts(page, key)[4] == "control 60 % / treatment 40 %"


def test_stale_and_cleanup_badges_and_the_stale_filter(
    qtbot: QtBot, fresh_cluster: Cluster, runner: TaskRunner
) -> None:
    operator = fresh_cluster.user("operator")
    create_flag(operator, "old-release")
    create_flag(operator, "everyone-has-it", enabled=True, rollout_percentage=100)
    create_flag(operator, "kill-payments", type="kill-switch")
    fresh_cluster.clock.advance(41 * 86_400)  # a release flag lives 40 days
    create_flag(fresh_cluster.user("operator"), "brand-new")
    with shown_page(qtbot, FlagsPage, runner, fresh_cluster, "viewer") as (page, _me):
        badges = {f.key: row_texts(page, f.key)[8] for f in page.model.items()}
        assert badges == {
            "old-release": "Stale",
            "everyone-has-it": "Clean up",
            "kill-payments": "",  # a kill switch never goes stale
            "brand-new": "",
        }
        assert page.stale_only.text() == "Stale flags only (2)"
        page.stale_only.setChecked(True)
        shown = {page.proxy.index(r, 0).data() for r in range(page.proxy.rowCount())}
        assert shown == {"old-release", "everyone-has-it"}
        page.search.setText("everyone")
        assert page.proxy.rowCount() == 1
        page.search.setText("nothing-like-it")
        assert page.hint.isVisible()
        assert page.hint.text() == "No flag matches the filter."


def test_the_flags_models_pass_the_model_tester(
    qtbot: QtBot, qtmodeltester: Any, cluster: Cluster, runner: TaskRunner
) -> None:
    operator = cluster.user("operator")
    key = new_key("model")
    create_flag(operator, key, variants=[{"name": "x", "weight": 100}])
    with shown_page(qtbot, FlagsPage, runner, cluster, "viewer") as (page, _me):
        page.select(key)
        qtbot.waitUntil(lambda: page.history.view.model.rowCount() == 1, timeout=10_000)
        qtmodeltester.check(page.model)
        qtmodeltester.check(page.proxy)
        qtmodeltester.check(page.history.view.model)
        qtmodeltester.check(page.history.view.proxy)
