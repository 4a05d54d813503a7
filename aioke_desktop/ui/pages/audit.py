"""The Audit page: who changed what, when, from what to what; and whether the log is intact.

Filters by actor, resource and action go to the server; the time window is measured on the
server's own clock (``/me`` tells it), which may be minutes away from ours. Rows are fetched
incrementally: each fetch asks for what came after the newest row shown, and any audited
event from the feed triggers one at once. Every fetch also verifies the hash chain.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ...api.cluster import ClusterClient
from ...core.activity import AuditEntry, AuditVerification, ClusterEvent
from ...runtime.poller import error_sentence
from ...runtime.session import Session
from ...runtime.task_runner import TaskRunner
from ..models.rows import ITEM_ROLE
from ..theme import StatusColours, Theme
from ..widgets.action_status import ActionStatus
from ..widgets.audit_view import AuditView
from ..widgets.chain_status import ChainStatus
from .base import ViewSettings
from .ops_base import OpsPage

PAGE_ROWS = 500
PAGES_PER_FETCH = 10
SINCE = (("Any time", None), ("Last hour", 3600.0), ("Last 24 hours", 86_400.0),
         ("Last 7 days", 7 * 86_400.0), ("Last 30 days", 30 * 86_400.0))  # fmt: skip
ACTIONS = ("", "flag.", "breaker.", "chaos.", "runbook.", "auth.", "user.")


@dataclass(frozen=True)
class AuditFilters:
    """What the server filters on: exact actor and resource, an action prefix, a window."""

    actor: str | None = None
    resource: str | None = None
    action: str | None = None
    since_seconds: float | None = None


@dataclass(frozen=True)
class AuditBatch:
    generation: int
    entries: list[AuditEntry]
    verification: AuditVerification
    complete: bool  # False: more rows are waiting; fetch again at once


def fetch_audit(
    client: ClusterClient, filters: AuditFilters, after_seq: int, generation: int
) -> AuditBatch:
    """Rows after ``after_seq`` (or inside the time window on a first fetch) and the chain's
    verification; at most ``PAGES_PER_FETCH`` pages, so a long log arrives in slices."""
    verification = client.verify_audit()
    since: int | str | None = after_seq or None
    if since is None and filters.since_seconds is not None:
        # The window is in the server's time: its clock may be minutes away from ours.
        server_now = client.me().server_time or time.time()
        start = datetime.fromtimestamp(server_now - filters.since_seconds, UTC)
        since = start.isoformat().replace("+00:00", "Z")
    entries: list[AuditEntry] = []
    for _ in range(PAGES_PER_FETCH):
        rows = client.audit(
            since=since,
            actor=filters.actor,
            resource=filters.resource,
            action=filters.action,
            limit=PAGE_ROWS,
        )
        entries += rows
        if len(rows) < PAGE_ROWS:
            return AuditBatch(generation, entries, verification, True)
        since = rows[-1].seq
    return AuditBatch(generation, entries, verification, False)


def audit_csv(entries: Sequence[AuditEntry]) -> str:
    """The rows as CSV, before and after as JSON, ready for a spreadsheet or an auditor."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["seq", "time", "actor", "action", "resource", "before", "after",
                     "request_id", "hash"])  # fmt: skip
    for e in entries:
        writer.writerow([e.seq, e.time, e.actor, e.action, e.resource, json.dumps(e.before),
                         json.dumps(e.after), e.request_id or "", e.hash])  # fmt: skip
    return out.getvalue()


class AuditPage(OpsPage):
    key = "audit"
    title = "Audit"
    description = "Who changed what, when, from what to what; and a check that the log is intact."
    empty_detail = "The audit log is empty."
    live_kinds = ("",)  # any event may be audited; on_events looks for an audit seq

    def __init__(
        self,
        runner: TaskRunner,
        theme: Theme,
        session: Session | None = None,
        parent: QWidget | None = None,
    ) -> None:
        self._generation = 0
        self._after_seq = 0
        self._last_view: ViewSettings | None = None
        super().__init__(runner, theme, session, parent)

    def build_content(self) -> QWidget:
        content = QWidget(self)
        self.actor = QLineEdit(content)
        self.actor.setPlaceholderText("Actor (exact)")
        self.resource = QLineEdit(content)
        self.resource.setPlaceholderText("Resource, such as flag/checkout-v2")
        self.action = QComboBox(content)
        self.action.setEditable(True)
        self.action.addItems(ACTIONS)
        action_text = self.action.lineEdit()
        assert action_text is not None  # an editable combo box has one
        action_text.setPlaceholderText("Action starts with…")
        self.since = QComboBox(content)
        for text, seconds in SINCE:
            self.since.addItem(text, seconds)
        self.since.setCurrentIndex(2)
        self.search = QLineEdit(content)
        self.search.setPlaceholderText("Find…")
        self.search.setToolTip("Find text in the rows shown")
        self.search.setClearButtonEnabled(True)
        self.verify_button = QPushButton("Verify chain", content)
        self.export_button = QPushButton("Export CSV…", content)
        for edit in (self.actor, self.resource):
            edit.setClearButtonEnabled(True)
            edit.editingFinished.connect(self.apply_filters)
        action_text.editingFinished.connect(self.apply_filters)
        self.action.activated.connect(self.apply_filters)
        self.since.currentIndexChanged.connect(self.apply_filters)
        self.verify_button.clicked.connect(self.refresh)
        self.export_button.clicked.connect(self._choose_export)
        filters = QHBoxLayout()
        labelled = [("Actor", self.actor, 1), ("Resource", self.resource, 2),
                    ("Action", self.action, 1), ("Since", self.since, 0)]  # fmt: skip
        for label, widget, stretch in labelled:
            filters.addWidget(QLabel(label, content))
            filters.addWidget(widget, stretch)
        filters.addWidget(self.search, 1)
        filters.addWidget(self.verify_button)
        filters.addWidget(self.export_button)
        self.chain = ChainStatus(content)
        self.view = AuditView(self.colours, content)
        # The rows across the page's whole width, the selected row's changes below them.
        self.view.setOrientation(Qt.Orientation.Vertical)
        self.view.setSizes([480, 260])
        self.search.textChanged.connect(self.view.proxy.set_text)
        self.count = QLabel(content)
        self.status = ActionStatus(content)
        layout = QVBoxLayout(content)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addLayout(filters)
        layout.addWidget(self.chain)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.count)
        layout.addWidget(self.status)
        self._filters = self.filters()
        # Connected before the base page's own handler, which fetches for the new session.
        self.session.connected.connect(self._start_over)
        self.session.disconnected.connect(self._start_over)
        return content

    # Filters ----------------------------------------------------------------------------

    def filters(self) -> AuditFilters:
        def text(value: str) -> str | None:
            return value.strip() or None

        return AuditFilters(
            actor=text(self.actor.text()),
            resource=text(self.resource.text()),
            action=text(self.action.currentText()),
            since_seconds=self.since.currentData(),
        )

    def apply_filters(self, *_: object) -> None:
        """Fetch again from the start when a filter changed (Enter, leaving a field)."""
        wanted = self.filters()
        if wanted != self._filters:
            self._filters = wanted
            self._start_over()
            if self._last_view is not None and self.poller.is_active():
                self.activate(self._last_view)

    def _start_over(self, *_: object) -> None:
        self._generation += 1
        self._after_seq = 0
        self.view.model.clear()
        self.chain.show_result(None)

    # Data -------------------------------------------------------------------------------

    def make_fetch(self, view: ViewSettings) -> Callable[[], object] | None:
        connection = self.session.connection
        self._last_view = view
        if connection is None:
            return None
        filters, generation = self._filters, self._generation
        # The cursor is read when each fetch starts (on a worker: a plain int, no widget).
        return lambda: fetch_audit(connection.cluster, filters, self._after_seq, generation)

    def present(self, data: object) -> bool:
        if not isinstance(data, AuditBatch) or data.generation != self._generation:
            return True
        if data.entries:
            self._after_seq = max(self._after_seq, data.entries[-1].seq)
        self.view.model.append(data.entries)
        self.chain.show_result(data.verification)
        shown = self.view.model.rowCount()
        self.count.setText(f"{shown:,} entries" + ("" if data.complete else ", loading more…"))
        if not data.complete:
            self.refresh()
        return True  # an empty result still shows the filters and the chain's state

    def on_events(self, events: list[ClusterEvent]) -> None:
        audited = any(isinstance(e.data, dict) and "audit_seq" in e.data for e in events)
        if audited and self.poller.is_active():
            self.refresh()

    # Export -----------------------------------------------------------------------------

    def shown_entries(self) -> list[AuditEntry]:
        """The rows as filtered and sorted on screen."""
        proxy = self.view.proxy
        found = (proxy.index(row, 0).data(ITEM_ROLE) for row in range(proxy.rowCount()))
        return [e for e in found if isinstance(e, AuditEntry)]

    def export_csv(self, path: Path) -> None:
        entries = self.shown_entries()
        text = audit_csv(entries)
        self.status.show_busy(f"Exporting {len(entries):,} rows…")
        self.runner.run(
            lambda: path.write_text(text, encoding="utf-8"),
            lambda _written: self.status.show_done(f"Exported {len(entries):,} rows to {path}."),
            lambda error: self.status.show_failure(
                f"Could not export to {path}: {error_sentence(error)}"
            ),
            owner=self,
            name="export audit",
        )

    def _choose_export(self) -> None:
        name, _filter = QFileDialog.getSaveFileName(
            self, "Export the audit rows", "audit.csv", "CSV (*.csv)"
        )
        if name:
            self.export_csv(Path(name))

    def recolour(self, colours: StatusColours) -> None:
        self.view.set_colours(colours)
        self.chain.set_colours(colours)
        self.status.set_colours(colours)
