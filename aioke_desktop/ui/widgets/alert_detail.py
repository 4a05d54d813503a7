"""The selected alert in full: what it says, every label and annotation, what mutes it, and
the runbook it names."""

from __future__ import annotations

import html
import time

from PySide6.QtWidgets import QTextBrowser, QVBoxLayout, QWidget

from ...core.alert_state import AlertStatus, CurrentAlert, Severity
from ..models.rows import clock_text, countdown
from ..theme import StatusColours

NOTHING_SELECTED = "Select an alert to see its labels, annotations and runbook."
_SHOWN_ABOVE = ("summary", "title", "description", "message")


def _rows(pairs: dict[str, str]) -> str:
    cells = "".join(
        f"<tr><td style='padding-right:12px'><code>{html.escape(k)}</code></td>"
        f"<td>{html.escape(v)}</td></tr>"
        for k, v in sorted(pairs.items())
    )
    return f"<table>{cells}</table>"


class AlertDetail(QWidget):
    """Read-only text about one alert; links (the rule's graph, a runbook URL) open in the
    browser."""

    def __init__(self, colours: StatusColours, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._colours = colours
        self._alert: CurrentAlert | None = None
        self.text = QTextBrowser(self)
        self.text.setOpenExternalLinks(True)
        self.text.setObjectName("alert-detail")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.text)
        self.show_alert(None)

    def set_colours(self, colours: StatusColours) -> None:
        self._colours = colours
        self.show_alert(self._alert)

    def show_alert(self, alert: CurrentAlert | None) -> None:
        self._alert = alert
        if alert is None:
            self.text.setHtml(f"<p style='color:{self._colours.muted_text}'>{NOTHING_SELECTED}</p>")
            return
        self.text.setHtml(self._html(alert))

    def _html(self, alert: CurrentAlert) -> str:
        colours = self._colours
        tone = {Severity.CRITICAL: colours.danger, Severity.WARNING: colours.warning}.get(
            alert.severity, colours.unknown
        )
        since = ""
        if alert.since is not None:
            since = f", since {clock_text(alert.since)} ({countdown(time.time() - alert.since)})"
        parts = [
            f"<h3 style='margin:0'>{html.escape(alert.name)}</h3>",
            f"<p style='color:{tone}; font-weight:600'>"
            f"{html.escape(alert.severity_text or alert.severity.word)} · "
            f"{alert.status.word.lower()}{since}</p>",
        ]
        for key in _SHOWN_ABOVE:
            if alert.annotations.get(key):
                parts.append(f"<p>{html.escape(alert.annotations[key])}</p>")
        if alert.runbook is not None:
            ref = alert.runbook
            target = (
                f"<a href='{html.escape(ref.url)}'>{html.escape(ref.url)}</a>"
                if ref.url
                else f"<code>{html.escape(ref.runbook_id)}</code>"
            )
            parts.append(f"<p><b>Runbook:</b> {target} — <i>Run runbook…</i> fills it in.</p>")
        if alert.status is AlertStatus.SILENCED:
            parts.append(f"<p><b>Silenced by</b> {html.escape(', '.join(alert.silenced_by))}</p>")
        if alert.status is AlertStatus.INHIBITED:
            parts.append(f"<p><b>Inhibited by</b> {html.escape(', '.join(alert.inhibited_by))}</p>")
        parts.append("<p><b>Labels</b></p>" + _rows(dict(alert.labels)))
        others = {k: v for k, v in alert.annotations.items() if k not in _SHOWN_ABOVE}
        if others:
            parts.append("<p><b>Annotations</b></p>" + _rows(others))
        if alert.generator_url:
            url = html.escape(alert.generator_url)
            parts.append(f"<p><a href='{url}'>The rule's expression in Prometheus</a></p>")
        return "".join(parts)
