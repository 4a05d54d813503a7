"""The Flags page's guard rails against the real control plane: roles, read-only, production,
lost answers, and the row a user clicks having changed underneath."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from aioke_desktop.api.http import HttpPolicy
from aioke_desktop.runtime.task_runner import TaskRunner
from aioke_desktop.ui.dialogs.action_prompts import ConfirmChangeDialog, StaleEditDialog
from aioke_desktop.ui.dialogs.flag_editor import FlagEditor
from aioke_desktop.ui.dialogs.flag_evaluate import FlagEvaluateDialog
from aioke_desktop.ui.pages.flags import FlagsPage
from desktop.ops_helpers import Dialogs, DropsTheFirstAnswer, shown_page
from desktop.test_flags_page import change_behind_the_page, create_flag, new_key, row_texts
from harness import Cluster

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

READ_ONLY = "This is a read-only session: turn read-only off to change anything."


def mutating_buttons(page: FlagsPage) -> list[QPushButton]:
    return [page.new_button, page.edit_button, page.toggle_button, page.archive_button]


def test_a_viewer_sees_every_change_disabled_with_the_reason(
    qtbot: QtBot, cluster: Cluster, runner: TaskRunner
) -> None:
    key = new_key("viewer")
    create_flag(cluster.user("operator"), key)
    with shown_page(qtbot, FlagsPage, runner, cluster, "viewer") as (page, _me):
        page.select(key)
        for button in mutating_buttons(page):
            assert not button.isEnabled(), button.text()
            assert button.toolTip() == "This needs the operator role; you are viewer."
        assert page.evaluate_button.isEnabled()  # reading is for everyone


def test_the_read_only_switch_turns_off_every_change_and_back(
    qtbot: QtBot, cluster: Cluster, runner: TaskRunner
) -> None:
    key = new_key("readonly")
    create_flag(cluster.user("operator"), key)
    with shown_page(qtbot, FlagsPage, runner, cluster, "operator") as (page, _me):
        page.select(key)
        dialogs = Dialogs(page.flag_actions.actions)
        page.edit_button.click()
        editor = dialogs.wait_for(qtbot, FlagEditor)
        assert all(b.isEnabled() for b in mutating_buttons(page))
        assert editor.save_button.isEnabled()

        page.session.set_read_only(True)
        for button in [*mutating_buttons(page), editor.save_button]:
            assert not button.isEnabled(), button.text()
            assert button.toolTip() == READ_ONLY
        assert page.evaluate_button.isEnabled()
        with qtbot.assertNotEmitted(page.flag_actions.actions.started, wait=200):
            page.flag_actions.toggle(page.selected_flag())  # a shortcut cannot sneak past
        assert READ_ONLY in page.status.text()

        page.session.set_read_only(False)
        assert all(b.isEnabled() for b in [*mutating_buttons(page), editor.save_button])


def test_a_production_context_asks_first_and_a_no_changes_nothing(
    qtbot: QtBot, cluster: Cluster, runner: TaskRunner
) -> None:
    operator = cluster.user("operator")
    key = new_key("prod")
    create_flag(operator, key)
    with shown_page(qtbot, FlagsPage, runner, cluster, "operator", production=True) as (page, _):
        dialogs = Dialogs(page.flag_actions.actions)
        page.select(key)
        with qtbot.assertNotEmitted(page.flag_actions.actions.started, wait=300):
            page.toggle_button.click()
            confirm = dialogs.wait_for(qtbot, ConfirmChangeDialog)
            assert "“live” is a production context." in confirm.question.text()
            assert f"Turn {key} on?" in confirm.question.text()
            assert confirm.cancel_button.isDefault()
            confirm.cancel_button.click()
        assert operator.get(f"/flags/{key}").json()["enabled"] is False
        assert page.status.text() == f"Cancelled: turn {key} on. Nothing was sent."

        page.toggle_button.click()
        confirm = dialogs.wait_for(qtbot, ConfirmChangeDialog)
        with qtbot.waitSignal(page.flag_actions.actions.succeeded, timeout=10_000):
            confirm.confirm_button.click()
        assert operator.get(f"/flags/{key}").json()["enabled"] is True
        assert row_texts(page, key)[2] == "On"


def test_evaluate_for_shows_what_the_server_decided_and_why(
    qtbot: QtBot, cluster: Cluster, runner: TaskRunner
) -> None:
    key = new_key("eval")
    create_flag(
        cluster.user("operator"),
        key,
        enabled=True,
        rollout_percentage=0,
        targeting={"include": ["vip-7"], "rules": []},
        variants=[{"name": "blue", "weight": 100}],
    )
    with shown_page(qtbot, FlagsPage, runner, cluster, "viewer") as (page, _me):
        dialogs = Dialogs(page.flag_actions.actions)
        page.select(key)
        page.evaluate_button.click()
        evaluate = dialogs.wait_for(qtbot, FlagEvaluateDialog)
        evaluate.user_id.setText("vip-7")
        evaluate.attributes.setPlainText("country=DE")
        evaluate.evaluate_button.click()
        qtbot.waitUntil(lambda: evaluate.evaluation is not None, timeout=10_000)
        assert "On, variant blue." in evaluate.answer.text()
        assert "This user is on the include list. " in evaluate.answer.text()
        assert "(reason: included)" in evaluate.answer.text()

        evaluate.user_id.setText("someone-else")
        evaluate.evaluate_button.click()
        qtbot.waitUntil(lambda: "outside_rollout" in evaluate.answer.text(), timeout=10_000)
        assert "Off." in evaluate.answer.text()
        assert "outside the 0 % rollout" in evaluate.answer.text()


def test_a_creation_whose_answer_was_lost_is_retried_with_the_same_key_and_made_once(
    qtbot: QtBot, cluster: Cluster, runner: TaskRunner
) -> None:
    lossy = DropsTheFirstAnswer("/flags")
    no_retries = HttpPolicy(max_attempts=1)  # so that the page's own Retry is what repeats
    key = new_key("once")
    with shown_page(
        qtbot, FlagsPage, runner, cluster, "operator", transport=lossy, policy=no_retries
    ) as (page, _me):
        actions = page.flag_actions.actions
        dialogs = Dialogs(actions)
        page.new_button.click()
        editor = dialogs.wait_for(qtbot, FlagEditor)
        editor.key.setText(key)
        with qtbot.waitSignal(actions.failed, timeout=10_000):
            editor.save_button.click()
        assert page.status.text().startswith(f"Could not create flag {key}: ")
        assert page.status.retry_button.isVisible()
        assert editor.isVisible()  # the form is kept for another try

        with qtbot.waitSignal(editor.finished, timeout=10_000):
            page.status.retry_button.click()
        assert len(lossy.keys) == 2
        assert lossy.keys[0] == lossy.keys[1]
        qtbot.waitUntil(lambda: page.model.row_of(key) is not None, timeout=10_000)
        assert [f.key for f in page.model.items()].count(key) == 1
        viewer = cluster.user("viewer")
        assert [f["key"] for f in viewer.get("/flags").json()].count(key) == 1
        made = viewer.get("/audit", params={"resource": f"flag/{key}"}).json()
        assert [row["action"] for row in made] == ["flag.create"]


def test_switching_a_row_someone_else_just_changed_is_refused_naming_them(
    qtbot: QtBot, cluster: Cluster, runner: TaskRunner
) -> None:
    rival = cluster.user("operator")
    key = new_key("race")
    create_flag(rival, key)
    with shown_page(qtbot, FlagsPage, runner, cluster, "operator", live=False) as (page, _me):
        dialogs = Dialogs(page.flag_actions.actions)
        page.select(key)
        change_behind_the_page(rival, key, rollout_percentage=5)  # the page has not heard
        page.toggle_button.click()
        stale = dialogs.wait_for(qtbot, StaleEditDialog)
        assert f"changed by {rival.user.name} at " in stale.sentence.text()
        assert rival.get(f"/flags/{key}").json()["enabled"] is False
        stale.reload_button.click()
        qtbot.waitUntil(lambda: row_texts(page, key)[3] == "5 %", timeout=10_000)

        page.toggle_button.click()  # now on the version on screen
        qtbot.waitUntil(lambda: row_texts(page, key)[2] == "On", timeout=10_000)
        assert rival.get(f"/flags/{key}").json()["enabled"] is True


def test_archiving_asks_first_then_the_flag_leaves_the_table(
    qtbot: QtBot, cluster: Cluster, runner: TaskRunner
) -> None:
    operator = cluster.user("operator")
    key = new_key("gone")
    create_flag(operator, key)
    with shown_page(qtbot, FlagsPage, runner, cluster, "operator") as (page, _me):
        dialogs = Dialogs(page.flag_actions.actions)
        page.select(key)
        page.archive_button.click()
        confirm = dialogs.wait_for(qtbot, ConfirmChangeDialog)
        assert "evaluates off for everyone" in confirm.question.text()
        confirm.confirm_button.click()
        qtbot.waitUntil(lambda: page.model.row_of(key) is None, timeout=10_000)
        assert operator.get(f"/flags/{key}").json()["archived"] is True
