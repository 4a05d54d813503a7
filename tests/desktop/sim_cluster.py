"""A control plane of its own with the simulated workload running, so breakers move, chaos
shapes real traffic and runbooks act on real services; plus a runbook made for tests, and
the steps the operations pages' tests share (a step-up code, a launch form filled in, a run
launched by someone else)."""

from __future__ import annotations

import shutil
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pytestqt.qtbot import QtBot

from aioke_cluster.resources import runbooks_dir, slos_dir
from aioke_cluster.services import Settings
from aioke_desktop.ui.dialogs.action_prompts import StepUpDialog
from aioke_desktop.ui.dialogs.chaos_launch import ChaosLaunchDialog
from aioke_desktop.ui.pages.chaos import ChaosPage
from desktop.ops_helpers import Dialogs
from harness import Cluster, TestUser, UserClient, running_cluster

# Steps that take a moment and one that waits for a person: the log grows while it is read.
STAGED_RUNBOOK = """\
id: staged-scale
title: Scale a service in two stages
description: Scales the service, lets it settle, asks a person, then scales it again.
risk: low
timeout_seconds: 120
parameters:
  type: object
  properties:
    service:
      type: string
      enum: [search, auth]
    instances:
      type: integer
      minimum: 1
      maximum: 10
      default: 4
  required: [service]
steps:
  - name: Scale up
    kind: scale
    service: "{{ params.service }}"
    instances: "{{ params.instances }}"
  - name: Let it settle
    kind: wait
    seconds: 1.5
  - name: Ask before the second stage
    kind: confirm
    prompt: Does the service look healthy after the first stage?
  - name: Scale to the final size
    kind: scale
    service: "{{ params.service }}"
    instances: 3
"""


@contextmanager
def simulated_cluster(workdir: Path) -> Iterator[Cluster]:
    """The shipped runbooks plus ``staged-scale``, with the workload sending traffic."""
    books = workdir / "runbooks"
    shutil.copytree(runbooks_dir(), books)
    (books / "staged-scale.yaml").write_text(STAGED_RUNBOOK)
    settings = Settings(runbooks_dir=books, slos_dir=slos_dir())
    with running_cluster(workdir / "cluster.db", settings=settings, simulate=True) as cluster:
        yield cluster


def wait_for_runbook_threads(qtbot: QtBot) -> None:
    """An execution's thread outlives its last event by a moment; tests leave none behind."""
    qtbot.waitUntil(
        lambda: not [t for t in threading.enumerate() if t.name.startswith("runbook-")],
        timeout=10_000,
    )


def answer_step_up(qtbot: QtBot, cluster: Cluster, user: TestUser, dialogs: Dialogs) -> None:
    """Type the user's next TOTP code into the step-up prompt an action opened."""
    prompt = dialogs.wait_for(qtbot, StepUpDialog)
    cluster.next_step()  # the login spent this step's code; the server takes each code once
    prompt.code.setText(cluster.code(user))
    with qtbot.waitSignal(prompt.finished, timeout=10_000):
        prompt.confirm_button.click()


def open_launch(qtbot: QtBot, page: ChaosPage) -> ChaosLaunchDialog:
    assert page.launch_button.isEnabled(), page.launch_button.toolTip()
    page.launch_button.click()
    dialog = page.chaos_actions.dialog
    assert isinstance(dialog, ChaosLaunchDialog)
    return dialog


def fill_latency(dialog: ChaosLaunchDialog, target: str, seconds: int) -> None:
    dialog.fault.setCurrentIndex(dialog.fault.findData("latency"))
    dialog.target.setCurrentText(target)
    assert dialog.params is not None
    dialog.params.set_value("latency_ms", 120)
    dialog.duration.setValue(seconds)
    dialog.confirm.setText(target)


def launch_behind_the_page(client: UserClient, target: str) -> str:
    """Another user launches a 10-minute latency run on ``target`` over HTTP; its id."""
    reply = client.post(
        "/chaos/runs",
        json={
            "fault": "latency",
            "target": target,
            "params": {"latency_ms": 50},
            "duration_seconds": 600,
        },
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    assert reply.status_code == 201, reply.text
    return str(reply.json()["id"])
