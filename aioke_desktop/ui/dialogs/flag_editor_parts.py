"""The parts of the flag editor: variants with their weights, attribute rules, and a flag's
settings in the API's JSON shape (what an edit compares against).

Each row is a few plain input widgets; the editor reads them out when it saves (the flag's
state lives in the dialog's loaded :class:`~aioke_desktop.core.flags.Flag`, not here).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, TypeVar

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...core.flags import Flag, FlagRule, FlagVariant
from ..theme import LIGHT, StatusColours

ATTRIBUTE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")
VARIANT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
W = TypeVar("W", bound=QWidget)
OPERATORS = (("in", "is one of"), ("not_in", "is none of"))


def split_list(text: str) -> list[str]:
    """``"a, b\\nc"`` → ``["a", "b", "c"]``: ids and values separated by commas or lines."""
    return [part.strip() for part in re.split(r"[,\n]", text) if part.strip()]


def definition(flag: Flag) -> dict[str, Any]:
    """A flag's editable settings in the API's JSON shape (what a PATCH may send)."""
    parent = flag.depends_on
    return {
        "description": flag.description,
        "type": flag.type,
        "owner": flag.owner,
        "enabled": flag.enabled,
        "rollout_percentage": flag.rollout_percentage,
        "stickiness": flag.stickiness,
        "targeting": {
            "include": list(flag.targeting.include),
            "exclude": list(flag.targeting.exclude),
            "rules": [
                {"attribute": r.attribute, "operator": r.operator, "values": list(r.values)}
                for r in flag.targeting.rules
            ],
        },
        "variants": [{"name": v.name, "weight": v.weight} for v in flag.variants],
        "depends_on": None
        if parent is None
        else {"flag": parent.flag, "variants": list(parent.variants) if parent.variants else None},
    }


class _Rows(QWidget):
    """A column of row widgets with an "add" button under it.

    Signals:
        changed(): a row was added, removed or edited.
    """

    changed = Signal()

    def __init__(self, add_text: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.rows: list[QWidget] = []
        self._column = QVBoxLayout()
        self._column.setContentsMargins(0, 0, 0, 0)
        self.add_button = QPushButton(add_text, self)
        self.add_button.clicked.connect(lambda: self.add_row())
        footer = QHBoxLayout()
        footer.addWidget(self.add_button)
        footer.addStretch(1)
        self.footer = footer
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self._column)
        layout.addLayout(footer)

    def add_row(self) -> QWidget:
        row = QWidget(self)
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        self.fill_row(row, line)
        remove = QToolButton(row)
        remove.setText("✕")
        remove.setToolTip("Remove this row")
        remove.clicked.connect(lambda: self._remove(row))
        line.addWidget(remove)
        self.rows.append(row)
        self._column.addWidget(row)
        self.changed.emit()
        return row

    def fill_row(self, row: QWidget, line: QHBoxLayout) -> None:
        raise NotImplementedError

    def clear(self) -> None:
        for row in list(self.rows):
            self._remove(row, quiet=True)
        self.changed.emit()

    def _remove(self, row: QWidget, quiet: bool = False) -> None:
        self.rows.remove(row)
        self._column.removeWidget(row)
        row.deleteLater()
        if not quiet:
            self.changed.emit()


class VariantsEditor(_Rows):
    """Variant names and weights, with their sum shown (it must be 100 %)."""

    def __init__(self, parent: QWidget | None, colours: StatusColours = LIGHT) -> None:
        super().__init__("Add variant", parent)
        self._colours = colours
        self.total = QLabel(self)
        self.footer.addWidget(self.total)
        self.changed.connect(self._show_total)
        self._show_total()

    def fill_row(self, row: QWidget, line: QHBoxLayout) -> None:
        name = QLineEdit(row)
        name.setObjectName("variant-name")
        name.setPlaceholderText("variant name")
        weight = QSpinBox(row)
        weight.setObjectName("variant-weight")
        weight.setRange(0, 100)
        weight.setSuffix(" %")
        name.textChanged.connect(self.changed)
        weight.valueChanged.connect(self.changed)
        line.addWidget(name, 1)
        line.addWidget(weight)

    def set_variants(self, variants: Sequence[FlagVariant]) -> None:
        self.clear()
        for variant in variants:
            row = self.add_row()
            self._name(row).setText(variant.name)
            self._weight(row).setValue(variant.weight)

    def variants(self) -> list[dict[str, object]]:
        return [
            {"name": self._name(row).text().strip(), "weight": self._weight(row).value()}
            for row in self.rows
        ]

    def weight_sum(self) -> int:
        return sum(self._weight(row).value() for row in self.rows)

    def problems(self) -> list[str]:
        found = []
        names = [str(v["name"]) for v in self.variants()]
        bad = [n or "(empty)" for n in names if not VARIANT_NAME.match(n)]
        if bad:
            found.append(f"Variant names are letters, digits, dots, dashes: not {bad[0]}.")
        if len(set(names)) != len(names):
            found.append("Each variant needs its own name.")
        if self.rows and self.weight_sum() != 100:
            found.append(f"Variant weights add up to {self.weight_sum()} %, not 100 %.")
        return found

    def _show_total(self) -> None:
        if not self.rows:
            self.total.setText("No variants: everyone who gets the flag gets it plainly.")
            self.total.setStyleSheet(f"color: {self._colours.muted_text};")
            return
        total = self.weight_sum()
        ok = total == 100
        self.total.setText(f"Total {total} %" + ("" if ok else " — must be 100 %"))
        self.total.setStyleSheet(f"color: {self._colours.ok if ok else self._colours.danger};")

    @staticmethod
    def _name(row: QWidget) -> QLineEdit:
        found = row.findChild(QLineEdit, "variant-name")
        assert found is not None
        return found

    @staticmethod
    def _weight(row: QWidget) -> QSpinBox:
        found = row.findChild(QSpinBox, "variant-weight")
        assert found is not None
        return found


class RulesEditor(_Rows):
    """Attribute rules: ``country is one of DE, FR``. A user must match every rule."""

    def __init__(self, parent: QWidget | None) -> None:
        super().__init__("Add rule", parent)

    def fill_row(self, row: QWidget, line: QHBoxLayout) -> None:
        attribute = QLineEdit(row)
        attribute.setObjectName("rule-attribute")
        attribute.setPlaceholderText("attribute")
        operator = QComboBox(row)
        operator.setObjectName("rule-operator")
        for code, words in OPERATORS:
            operator.addItem(words, code)
        values = QLineEdit(row)
        values.setObjectName("rule-values")
        values.setPlaceholderText("values, comma-separated")
        for edit in (attribute, values):
            edit.textChanged.connect(self.changed)
        operator.currentIndexChanged.connect(self.changed)
        line.addWidget(attribute, 1)
        line.addWidget(operator)
        line.addWidget(values, 2)

    def set_rules(self, rules: Sequence[FlagRule]) -> None:
        self.clear()
        for rule in rules:
            row = self.add_row()
            self._field(row, QLineEdit, "rule-attribute").setText(rule.attribute)
            operator = self._field(row, QComboBox, "rule-operator")
            operator.setCurrentIndex(max(0, operator.findData(rule.operator)))
            self._field(row, QLineEdit, "rule-values").setText(", ".join(rule.values))

    def rules(self) -> list[dict[str, object]]:
        return [
            {
                "attribute": self._field(row, QLineEdit, "rule-attribute").text().strip(),
                "operator": self._field(row, QComboBox, "rule-operator").currentData(),
                "values": split_list(self._field(row, QLineEdit, "rule-values").text()),
            }
            for row in self.rows
        ]

    def problems(self) -> list[str]:
        found = []
        for rule in self.rules():
            name = str(rule["attribute"])
            if not ATTRIBUTE.match(name):
                found.append(f"A rule's attribute must be a name such as country, not {name!r}.")
            elif not rule["values"]:
                found.append(f"The rule on {name} needs at least one value.")
        return found

    @staticmethod
    def _field(row: QWidget, kind: type[W], name: str) -> W:
        found = row.findChild(kind, name)
        assert isinstance(found, kind)
        return found
