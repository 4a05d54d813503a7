"""A form generated from a JSON schema (an object of flat properties), checked field by field.

Chaos faults and runbooks describe their parameters as JSON schemas; the server validates a
request against the same schema, so checking here with the same validator means a value the
form accepts is a value the server accepts, and a mistake is shown under its field before
anything is sent. Numbers are typed, not spun: a required number has no value until the
user gives one (a spin box would invent one).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ..theme import LIGHT, StatusColours

NOT_SET = "(not set)"
_TYPE_WORDS = {
    "integer": "must be a whole number",
    "number": "must be a number",
    "boolean": "must be yes or no",
    "string": "must be text",
}
Editor = QLineEdit | QComboBox | QCheckBox


def _words(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def plain_error(error: ValidationError) -> str:
    """jsonschema's message in the words of the form ("must be at least 1")."""
    kind, limit = error.validator, error.validator_value
    if kind == "required":
        return "is required"
    if kind == "type":
        return _TYPE_WORDS.get(str(limit), f"must be of type {limit}")
    if kind == "minimum":
        return f"must be at least {limit}"
    if kind == "maximum":
        return f"must be at most {limit}"
    if kind == "exclusiveMinimum":
        return f"must be more than {limit}"
    if kind == "exclusiveMaximum":
        return f"must be less than {limit}"
    if kind == "enum":
        options = limit if isinstance(limit, list) else []
        return "must be one of " + ", ".join(_words(v) for v in options)
    if kind == "minLength":
        return "must not be empty" if limit == 1 else f"needs at least {limit} characters"
    if kind == "maxLength":
        return f"must be at most {limit} characters"
    if kind == "pattern":
        return f"does not have the expected form ({limit})"
    return str(error.message)


class SchemaForm(QWidget):
    """Editors for ``schema["properties"]`` with defaults filled in and errors under fields.

    Args:
        schema: a JSON schema of ``type: object``.
        colours: for the error text.

    Signals:
        changed(): a value changed (the errors were checked again).
    """

    changed = Signal()

    def __init__(
        self,
        schema: Mapping[str, Any],
        parent: QWidget | None = None,
        colours: StatusColours = LIGHT,
    ) -> None:
        super().__init__(parent)
        self.schema = dict(schema)
        self._validator = Draft202012Validator(self.schema)
        self._required = set(self.schema.get("required", ()))
        self._properties: dict[str, Mapping[str, Any]] = dict(self.schema.get("properties", {}))
        self.editors: dict[str, Editor] = {}
        self.error_labels: dict[str, QLabel] = {}
        self._server_errors: dict[str, str] = {}
        self._colours = colours
        self._build()
        self._check()

    # What the dialogs use ---------------------------------------------------------------

    def values(self) -> dict[str, Any]:
        """The values given (an empty optional field is left out: the server's default)."""
        found: dict[str, Any] = {}
        for name, editor in self.editors.items():
            value = self._value(name, editor)
            if value is not _EMPTY:
                found[name] = value
        return found

    def errors(self) -> dict[str, str]:
        """Field name → the first problem with it; empty when the values may be sent."""
        found: dict[str, str] = {}
        for name, editor in self.editors.items():
            value = self._value(name, editor)
            if isinstance(value, _Unparsed):
                found[name] = _TYPE_WORDS[value.wanted]
        parsed = {k: v for k, v in self.values().items() if not isinstance(v, _Unparsed)}
        for name in self._properties:
            if name in self._required and name not in parsed:
                found.setdefault(name, "is required")
        for error in self._validator.iter_errors(parsed):
            name = str(error.absolute_path[0]) if error.absolute_path else ""
            if name and name not in found:
                found[name] = plain_error(error)
        for name, message in self._server_errors.items():
            found.setdefault(name, message)
        return found

    def is_valid(self) -> bool:
        return not self.errors()

    def set_value(self, name: str, value: Any) -> None:
        """Fill ``name`` as a user would (tests, and "run again with these parameters")."""
        editor = self.editors[name]
        if isinstance(editor, QCheckBox):
            editor.setChecked(bool(value))
        elif isinstance(editor, QComboBox):
            editor.setCurrentIndex(max(0, editor.findText(_words(value))))
        else:
            editor.setText("" if value is None else _words(value))

    def show_server_errors(self, errors: Mapping[str, str]) -> None:
        """Put the server's 422 field errors (``params.latency_ms``) under their fields."""
        self._server_errors = {
            name.removeprefix("params."): message
            for name, message in errors.items()
            if name.removeprefix("params.") in self.editors
        }
        self._check()

    def set_colours(self, colours: StatusColours) -> None:
        self._colours = colours
        for label in self.error_labels.values():
            label.setStyleSheet(f"color: {colours.danger};")

    # Building ---------------------------------------------------------------------------

    def _build(self) -> None:
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for name, spec in self._properties.items():
            editor = self._editor(name, spec)
            self.editors[name] = editor
            column = QVBoxLayout()
            column.setSpacing(2)
            column.addWidget(editor)
            hint = spec.get("description")
            if hint:
                note = QLabel(str(hint), self)
                note.setWordWrap(True)
                note.setStyleSheet(f"color: {self._colours.muted_text};")
                column.addWidget(note)
            error = QLabel(self)
            error.setObjectName(f"error:{name}")
            error.setWordWrap(True)
            error.setStyleSheet(f"color: {self._colours.danger};")
            error.setVisible(False)
            self.error_labels[name] = error
            column.addWidget(error)
            label = name.replace("_", " ").capitalize() + (" *" if name in self._required else "")
            form.addRow(label, column)
        if not self._properties:
            form.addRow(QLabel("This takes no parameters.", self))
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addLayout(form)

    def _editor(self, name: str, spec: Mapping[str, Any]) -> Editor:
        default = spec.get("default")
        if "enum" in spec:
            combo = QComboBox(self)
            if name not in self._required or default is None:
                combo.addItem(NOT_SET)
            for option in spec["enum"]:
                combo.addItem(_words(option), option)
            if default is not None:
                combo.setCurrentIndex(combo.findText(_words(default)))
            combo.currentIndexChanged.connect(self._on_edit)
            return combo
        if spec.get("type") == "boolean":
            box = QCheckBox(self)
            box.setChecked(bool(default))
            box.toggled.connect(self._on_edit)
            return box
        line = QLineEdit(self)
        line.setObjectName(f"field:{name}")
        if default is not None:
            line.setText(_words(default))
        line.setPlaceholderText(_range_hint(spec))
        line.textChanged.connect(self._on_edit)
        return line

    # Reading ----------------------------------------------------------------------------

    def _value(self, name: str, editor: Editor) -> Any:
        spec = self._properties[name]
        if isinstance(editor, QCheckBox):
            return editor.isChecked()
        if isinstance(editor, QComboBox):
            return _EMPTY if editor.currentText() == NOT_SET else editor.currentData()
        text = editor.text().strip()
        if not text:
            return _EMPTY
        kind = spec.get("type")
        if kind == "integer":
            try:
                return int(text)
            except ValueError:
                return _Unparsed("integer")
        if kind == "number":
            try:
                number = float(text)
            except ValueError:
                return _Unparsed("number")
            if not math.isfinite(number):
                return _Unparsed("number")
            return int(number) if number.is_integer() and "." not in text else number
        return text

    def _on_edit(self, *_: object) -> None:
        self._server_errors.clear()  # the user is answering them
        self._check()
        self.changed.emit()

    def _check(self) -> None:
        errors = self.errors()
        for name, label in self.error_labels.items():
            message = errors.get(name)
            label.setText(f"{name.replace('_', ' ').capitalize()} {message}." if message else "")
            label.setVisible(message is not None)


class _Unparsed:
    """Text that is not the number its field wants."""

    def __init__(self, wanted: str) -> None:
        self.wanted = wanted


_EMPTY: Any = object()


def _range_hint(spec: Mapping[str, Any]) -> str:
    low = spec.get("minimum", spec.get("exclusiveMinimum"))
    high = spec.get("maximum", spec.get("exclusiveMaximum"))
    if low is not None and high is not None:
        return f"{low} to {high}"
    if low is not None:
        return f"at least {low}"
    if high is not None:
        return f"at most {high}"
    return ""
