"""Before → after, field by field: the 412 "Compare" dialog and the audit log's row details.

JSON documents are flattened to dotted paths (``targeting.include``, ``variants[1].weight``)
so a change deep inside a flag reads as one line instead of two walls of JSON.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, is_dataclass
from typing import Any

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTextBrowser, QVBoxLayout, QWidget

from ..theme import LIGHT, StatusColours

MISSING = "—"


@dataclass(frozen=True)
class FieldChange:
    """One field that differs; ``before``/``after`` are display text (``—``: not there)."""

    path: str
    before: str
    after: str


# Fields the server keeps for itself: they change with every edit, so they go last, greyed.
BOOKKEEPING = frozenset({"version", "updated_at", "created_at", "stale", "etag"})


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return "none"
    return json.dumps(value, ensure_ascii=False)


def _flatten(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        if not value and path:
            yield path, "{}"
        for key, inner in value.items():
            yield from _flatten(inner, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple) and any(isinstance(v, dict | list | tuple) for v in value):
        for index, inner in enumerate(value):
            yield from _flatten(inner, f"{path}[{index}]")
    elif isinstance(value, list | tuple):
        yield path, "[" + ", ".join(_scalar(v) for v in value) + "]"
    else:
        yield path or "value", _scalar(value)


def as_json(value: Any) -> Any:
    """A domain object (a frozen dataclass) as a JSON-like dict; its ETag is left out (a
    transport detail: ``version`` says the same in words)."""
    if is_dataclass(value) and not isinstance(value, type):
        found = asdict(value)
        found.pop("etag", None)
        return found
    return value


def field_changes(before: Any, after: Any) -> list[FieldChange]:
    """The fields that differ between two JSON documents, in the order they appear."""
    old = dict(_flatten(before, "")) if before is not None else {}
    new = dict(_flatten(after, "")) if after is not None else {}
    paths = list(old) + [p for p in new if p not in old]
    changes = [
        FieldChange(path, old.get(path, MISSING), new.get(path, MISSING))
        for path in paths
        if old.get(path) != new.get(path)
    ]
    return sorted(changes, key=lambda c: c.path in BOOKKEEPING)


def changes_html(
    changes: Sequence[FieldChange],
    colours: StatusColours = LIGHT,
    headings: tuple[str, str] = ("Before", "After"),
) -> str:
    """A three-column table (field, before, after) for a QTextBrowser."""
    if not changes:
        return "<p>No field differs.</p>"

    def row(c: FieldChange) -> str:
        quiet = c.path in BOOKKEEPING
        before = colours.muted_text if quiet else colours.danger
        after = colours.muted_text if quiet else colours.ok
        name = html.escape(c.path) if quiet else f"<b>{html.escape(c.path)}</b>"
        return (
            f"<tr><td style='padding:3px 12px 3px 0'>{name}</td>"
            f"<td style='padding:3px 12px 3px 0; color:{before}'>{html.escape(c.before)}</td>"
            f"<td style='padding:3px 0; color:{after}'>{html.escape(c.after)}</td></tr>"
        )

    rows = "".join(row(c) for c in changes)
    head = (
        "<tr><th align='left'>Field</th>"
        f"<th align='left'>{html.escape(headings[0])}</th>"
        f"<th align='left'>{html.escape(headings[1])}</th></tr>"
    )
    return f"<table cellspacing='0'>{head}{rows}</table>"


class CompareDialog(QDialog):
    """Two versions of one resource side by side, only the fields that differ.

    Args:
        title: what is compared ("flag/checkout-v2").
        before, after: the two JSON documents.
        headings: the two columns' names.
    """

    def __init__(
        self,
        title: str,
        before: Any,
        after: Any,
        *,
        headings: tuple[str, str] = ("When you loaded it", "On the server now"),
        colours: StatusColours = LIGHT,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("compare-dialog")
        self.setWindowTitle(f"Compare {title}")
        self.changes = field_changes(before, after)
        count = sum(c.path not in BOOKKEEPING for c in self.changes)
        if count == 0:
            text = f"No setting of {title} differs."
        elif count == 1:
            text = f"1 setting of {title} differs."
        else:
            text = f"{count} settings of {title} differ."
        summary = QLabel(text, self)
        summary.setWordWrap(True)
        self.table = QTextBrowser(self)
        self.table.setHtml(changes_html(self.changes, colours, headings))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.resize(660, 320)
