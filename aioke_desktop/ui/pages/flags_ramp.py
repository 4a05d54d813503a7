"""The Flags page's ramp view: the selected flag's ramp, where it stands, and every step.

The control plane runs ramps; this view reloads the chosen flag's ramp when the event feed
says it moved (``flag.ramp.*``), so an advance or a step back shows without a poll.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ...api.errors import NotFound
from ...core.flag_ramps import DECISION_WORDS, FlagRamp, RampStep, interval_text, ramp_badge
from ...runtime.poller import error_sentence
from ...runtime.session import Session
from ...runtime.task_runner import TaskRunner
from ..models.rows import Column, KeyedRowsModel
from ..theme import StatusColours
from ..when import local_time_text

NOTHING_CHOSEN = "Ramp: select a flag to see its rollout ramp."
TONES = {"advance": "ok", "finish": "ok", "step_back": "danger", "hold": "warning"}


def _burn(step: RampStep) -> str:
    return "—" if step.burn_rate is None else f"{step.burn_rate:.2f}×"


class RampStepsModel(KeyedRowsModel[RampStep]):
    """A ramp's decisions, oldest first: time, decision, rollout, burn rate, who, why."""

    def __init__(self, colours: StatusColours, parent: QObject | None = None) -> None:
        columns: list[Column[RampStep]] = [
            Column("Time", lambda s, _: local_time_text(s.time), sort=lambda s, _: s.time),
            Column(
                "Decision",
                lambda s, _: DECISION_WORDS.get(s.decision, s.decision),
                tone=lambda s: TONES.get(s.decision),
            ),
            Column("Rollout", lambda s, _: f"{s.from_percent} % → {s.to_percent} %"),
            Column("1 h burn", lambda s, _: _burn(s), numeric=True),
            Column("By", lambda s, _: s.actor),
            Column("Why", lambda s, _: s.reason, tooltip=lambda s, _: s.reason),
        ]
        super().__init__(columns, lambda s: f"{s.time}/{s.decision}", colours, time.time, parent)


class RampView(QWidget):
    """A title, the ramp's state in one line and its step table.

    Attributes:
        ramp: the ramp shown, once loaded (None: no ramp, or nothing chosen).
    """

    def __init__(
        self,
        runner: TaskRunner,
        session: Session,
        colours: StatusColours,
        parent: QWidget,
        *,
        now: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(parent)
        self._now = now
        self._runner = runner
        self._session = session
        self.key: str | None = None
        self.ramp: FlagRamp | None = None
        self.title = QLabel(NOTHING_CHOSEN, self)
        self.title.setWordWrap(True)
        self.state = QLabel("", self)
        self.state.setWordWrap(True)
        self.model = RampStepsModel(colours, self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate((70, 95, 100, 65, 75)):
            self.table.setColumnWidth(column, width)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.state)
        layout.addWidget(self.table, 1)

    def show_flag(self, key: str | None) -> None:
        """Show ``key``'s ramp (None: nothing chosen); the same key again does nothing."""
        if key == self.key:
            return
        self.key = key
        self.ramp = None
        self.model.replace([])
        self.state.setText("")
        if key is None:
            self.title.setText(NOTHING_CHOSEN)
        else:
            self.reload()

    def reload(self) -> None:
        """Fetch the chosen flag's ramp again (an event said it moved)."""
        key, connection = self.key, self._session.connection
        if key is None or connection is None:
            return

        def show(ramp: FlagRamp) -> None:
            if key != self.key:
                return
            self.ramp = ramp
            self.model.replace(list(ramp.history))
            steps = " → ".join(str(s) for s in ramp.steps)
            self.title.setText(
                f"Ramp of {key}: {steps} % every {interval_text(ramp.interval_seconds)}, "
                f"gated on {ramp.service}'s 1 h burn rate ≤ {ramp.max_burn_rate:g}× "
                f"(started by {ramp.started_by})"
            )
            self.tick()

        def failed(error: BaseException) -> None:
            if key != self.key:
                return
            self.ramp = None
            self.model.replace([])
            if isinstance(error, NotFound):
                self.title.setText(f"Ramp: {key} has no ramp; “Ramp…” starts one.")
                self.state.setText("")
            else:
                self.title.setText(f"Ramp of {key}: {error_sentence(error)}")

        self._runner.run(
            lambda: connection.cluster.flags.ramp(key),
            show,
            failed,
            owner=self,
            name="flag ramp",
        )

    def tick(self) -> None:
        """Say where the ramp stands now (its next decision comes nearer each second)."""
        ramp = self.ramp
        if ramp is not None:
            self.state.setText(f"{ramp_badge(ramp, self._now())}. {ramp.last_reason or ''}")

    def set_colours(self, colours: StatusColours) -> None:
        self.model.set_colours(colours)
