"""Create or edit a flag: on/off, rollout, who is in or out, rules, variants and a parent.

Everything the server would refuse for its shape (weights that do not add up to 100 %, a
user both included and excluded, a bad key) is refused here first, with the sentence shown
under the form: nothing is sent until the form is sound. Saving itself is the page's job
(through the action runner), so the dialog only says what the user asked for.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ...core.flags import Flag
from ...runtime.session import Session
from ..role_gate import gate_by_role
from ..theme import LIGHT, StatusColours
from .flag_editor_parts import ATTRIBUTE, RulesEditor, VariantsEditor, definition, split_list

FLAG_KEY = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
TYPES = ("release", "experiment", "operational", "kill-switch", "permission")
NO_PARENT = "(none)"


class FlagEditor(QDialog):
    """The form for one flag; ``flag=None`` creates a new one.

    Args:
        flag: the version being edited (its ``etag`` is what the save sends as If-Match).
        flag_keys: the other flags, for the parent list.
        owner: the owner a new flag starts with (the user).
        session: Save follows the role and the read-only switch.

    Signals:
        save_requested(dict): the form is sound; for a new flag the key and every setting,
            for an edit only the settings that changed.
    """

    save_requested = Signal(dict)

    def __init__(
        self,
        flag: Flag | None,
        *,
        flag_keys: Sequence[str],
        owner: str,
        session: Session,
        colours: StatusColours = LIGHT,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("flag-editor")
        self._colours = colours
        self._flag_keys = sorted(flag_keys)
        self.flag: Flag | None = None
        self._build(owner)
        self.save_gate = gate_by_role(self.save_button, session, "operator")
        if flag is not None:
            self.load(flag)
        else:
            self.setWindowTitle("New flag")
            self._fill_parents(None)
        self.resize(920, self.sizeHint().height())

    # Building ---------------------------------------------------------------------------

    def _build(self, owner: str) -> None:
        self.key = QLineEdit(self)
        self.key.setPlaceholderText("checkout-v2 (lower case, digits, . _ -)")
        self.description = QLineEdit(self)
        self.type = QComboBox(self)
        self.type.addItems(TYPES)
        self.owner = QLineEdit(owner, self)
        self.enabled = QCheckBox("Enabled (off means off for everyone)", self)
        self.rollout = QSlider(Qt.Orientation.Horizontal, self)
        self.rollout.setRange(0, 100)
        self.rollout.setValue(100)
        self.rollout_value = QSpinBox(self)
        self.rollout_value.setRange(0, 100)
        self.rollout_value.setSuffix(" %")
        self.rollout_value.setValue(100)
        self.rollout.valueChanged.connect(self.rollout_value.setValue)
        self.rollout_value.valueChanged.connect(self.rollout.setValue)
        self.stickiness = QLineEdit("user_id", self)
        rollout_row = QHBoxLayout()
        rollout_row.addWidget(self.rollout, 1)
        rollout_row.addWidget(self.rollout_value)
        general = QGroupBox("Flag", self)
        form = QFormLayout(general)
        form.addRow("Key", self.key)
        form.addRow("Description", self.description)
        form.addRow("Type", self.type)
        form.addRow("Owner", self.owner)
        form.addRow("", self.enabled)
        form.addRow("Rollout", rollout_row)
        form.addRow("Sticky by", self.stickiness)

        self.parent_flag = QComboBox(self)
        self.parent_variants = QLineEdit(self)
        self.parent_variants.setPlaceholderText("any variant (or: a, b)")
        dependency = QGroupBox("Depends on", self)
        parent_form = QFormLayout(dependency)
        parent_form.addRow("Parent flag", self.parent_flag)
        parent_form.addRow("Parent variants", self.parent_variants)

        self.include = QPlainTextEdit(self)
        self.include.setPlaceholderText("user ids who always get it, comma- or line-separated")
        self.exclude = QPlainTextEdit(self)
        self.exclude.setPlaceholderText("user ids who never get it")
        for box in (self.include, self.exclude):
            box.setMaximumHeight(64)
        self.rules = RulesEditor(self)
        targeting = QGroupBox("Targeting", self)
        target_form = QFormLayout(targeting)
        target_form.addRow("Include", self.include)
        target_form.addRow("Exclude", self.exclude)
        target_form.addRow("Rules", self.rules)

        self.variants = VariantsEditor(self, self._colours)
        variants = QGroupBox("Variants (weights add up to 100 %)", self)
        QVBoxLayout(variants).addWidget(self.variants)

        left, right = QVBoxLayout(), QVBoxLayout()
        left.addWidget(general)
        left.addWidget(dependency)
        left.addStretch(1)
        right.addWidget(targeting)
        right.addWidget(variants)
        right.addStretch(1)
        columns = QHBoxLayout()
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)

        self.problems_label = QLabel(self)
        self.problems_label.setWordWrap(True)
        self.problems_label.setStyleSheet(f"color: {self._colours.danger};")
        self.problems_label.setVisible(False)
        buttons = QDialogButtonBox(self)
        self.save_button = buttons.addButton("Save", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.request_save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(columns, 1)
        layout.addWidget(self.problems_label)
        layout.addWidget(buttons)

    def _fill_parents(self, flag: Flag | None) -> None:
        self.parent_flag.clear()
        self.parent_flag.addItem(NO_PARENT)
        own = flag.key if flag else None
        self.parent_flag.addItems([k for k in self._flag_keys if k != own])
        parent = flag.depends_on if flag else None
        if parent is not None:
            if self.parent_flag.findText(parent.flag) < 0:
                self.parent_flag.addItem(parent.flag)
            self.parent_flag.setCurrentText(parent.flag)
        self.parent_variants.setText(", ".join(parent.variants or ()) if parent else "")

    # Loading and reading ----------------------------------------------------------------

    def load(self, flag: Flag) -> None:
        """Show ``flag`` (a newer version after a Reload replaces what was typed)."""
        self.flag = flag
        self.setWindowTitle(f"Edit flag {flag.key} (version {flag.version})")
        self.key.setText(flag.key)
        self.key.setEnabled(False)  # a key, once used, names the same flag for good
        self.description.setText(flag.description)
        self.type.setCurrentText(flag.type)
        self.owner.setText(flag.owner)
        self.enabled.setChecked(flag.enabled)
        self.rollout_value.setValue(flag.rollout_percentage)
        self.stickiness.setText(flag.stickiness)
        self.include.setPlainText(", ".join(flag.targeting.include))
        self.exclude.setPlainText(", ".join(flag.targeting.exclude))
        self.rules.set_rules(flag.targeting.rules)
        self.variants.set_variants(flag.variants)
        self._fill_parents(flag)
        self.set_busy(False)
        self.show_problems([])

    def settings(self) -> dict[str, Any]:
        """Every setting as the form says, in the API's JSON shape."""
        parent = self.parent_flag.currentText()
        parent_variants = split_list(self.parent_variants.text())
        return {
            "description": self.description.text().strip(),
            "type": self.type.currentText(),
            "owner": self.owner.text().strip(),
            "enabled": self.enabled.isChecked(),
            "rollout_percentage": self.rollout_value.value(),
            "stickiness": self.stickiness.text().strip(),
            "targeting": {
                "include": split_list(self.include.toPlainText()),
                "exclude": split_list(self.exclude.toPlainText()),
                "rules": self.rules.rules(),
            },
            "variants": self.variants.variants(),
            "depends_on": None
            if parent == NO_PARENT
            else {"flag": parent, "variants": parent_variants or None},
        }

    def changes(self) -> dict[str, Any]:
        """What to send: every setting and the key for a new flag, else only what changed."""
        wanted = self.settings()
        if self.flag is None:
            return {"key": self.key.text().strip(), **wanted}
        before = definition(self.flag)
        return {name: value for name, value in wanted.items() if value != before[name]}

    def problems(self) -> list[str]:
        """What the server would refuse, in plain sentences; empty when the form is sound."""
        found: list[str] = []
        key = self.key.text().strip()
        if self.flag is None and not FLAG_KEY.match(key):
            found.append(
                "A flag key is lower-case letters, digits, dots, dashes: like checkout-v2."
            )
        if not self.owner.text().strip():
            found.append("Name an owner: the person or team to ask about this flag.")
        if not ATTRIBUTE.match(self.stickiness.text().strip()):
            found.append("Sticky by must be an attribute name, such as user_id.")
        targeting = self.settings()["targeting"]
        both = sorted(set(targeting["include"]) & set(targeting["exclude"]))
        if both:
            found.append(f"{', '.join(both[:3])} cannot be both included and excluded.")
        found += self.rules.problems() + self.variants.problems()
        if self.parent_flag.currentText() == key:
            found.append("A flag cannot depend on itself.")
        return found

    # Saving -----------------------------------------------------------------------------

    def request_save(self) -> None:
        problems = self.problems()
        self.show_problems(problems)
        if problems:
            return
        changes = self.changes()
        if not changes:
            self.show_problems(["Nothing changed."])
            return
        self.set_busy(True)
        self.save_requested.emit(changes)

    def set_busy(self, busy: bool) -> None:
        self.save_button.setText("Saving…" if busy else "Save")
        if busy:
            self.save_button.setEnabled(False)
        else:
            self.save_gate.update()

    def show_problems(self, problems: Sequence[str]) -> None:
        self.problems_label.setText(" ".join(problems))
        self.problems_label.setVisible(bool(problems))
