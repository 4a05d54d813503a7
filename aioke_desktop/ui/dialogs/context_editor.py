"""The context editor: add, edit and remove the clusters the app knows.

It edits a copy of the settings and hands the result back (``saved``); writing the file and
the keyring is the app's business, on the task runner. Secrets never enter the settings: a
TOTP secret typed here leaves through ``totp_secret_entered`` for the keyring.
"""

from __future__ import annotations

import base64
import binascii

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ...config.schema import AppConfig
from ...core.contexts import Context, ContextError
from ...core.promql import TemplateError
from ..theme import LIGHT, StatusColours
from .context_form import ContextForm

NEW = "New context"


def _is_base32(secret: str) -> bool:
    try:
        base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    except (binascii.Error, ValueError):
        return False
    return len(secret) >= 16


class ContextEditor(QDialog):
    """The contexts on the left, the chosen one's settings on the right.

    Args:
        config: the settings as they are; the dialog edits a copy.
        selected: the context to show first (the active one).

    Signals:
        saved(AppConfig, object): the settings with the change, and the context as it was
            before (None for a new one), so the app can tell a change from an addition.
        removed(Context): a context was removed (the app forgets its keyring entries).
        totp_secret_entered(Context, str): keep this TOTP secret in the keyring.
    """

    saved = Signal(object, object)
    removed = Signal(object)
    totp_secret_entered = Signal(object, str)

    def __init__(
        self,
        config: AppConfig,
        selected: str | None = None,
        colours: StatusColours = LIGHT,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("context-editor")
        self.setWindowTitle("Contexts")
        self.resize(820, 560)
        self.config = config
        self._editing: Context | None = None
        self._dirty = False
        self.list = QListWidget(self)
        self.list.setAccessibleName("Contexts")
        self.add_button = QPushButton("Add", self)
        self.remove_button = QPushButton("Remove", self)
        self.form = ContextForm(self, colours)
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.setStyleSheet(f"color: {colours.danger}; font-weight: 600;")
        buttons = QDialogButtonBox(self)
        self.save_button = buttons.addButton(QDialogButtonBox.StandardButton.Save)
        self.revert_button = buttons.addButton("Revert", QDialogButtonBox.ButtonRole.ResetRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Close).clicked.connect(self.reject)
        self._lay_out(buttons)
        self.list.currentItemChanged.connect(self._chosen)
        self.add_button.clicked.connect(self._add)
        self.remove_button.clicked.connect(self._remove)
        self.save_button.clicked.connect(self.save)
        self.revert_button.clicked.connect(lambda: self._show(self._editing))
        self.form.edited.connect(lambda: self._set_dirty(True))
        self._fill_list(selected)

    def _lay_out(self, buttons: QDialogButtonBox) -> None:
        left = QVBoxLayout()
        left.addWidget(self.list, 1)
        row = QHBoxLayout()
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        left.addLayout(row)
        body = QHBoxLayout()
        body.addLayout(left, 1)
        body.addWidget(self.form, 3)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    # The list ---------------------------------------------------------------------------

    def _fill_list(self, selected: str | None) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for context in self.config.contexts:
            label = f"{context.name} (production)" if context.production else context.name
            item = QListWidgetItem(label, self.list)
            item.setData(Qt.ItemDataRole.UserRole, context.name)
        self.list.blockSignals(False)
        names = [c.name for c in self.config.contexts]
        if selected in names:
            self.list.setCurrentRow(names.index(selected))
        elif names:
            self.list.setCurrentRow(0)
        else:
            self._add()  # a fresh install: the form for the first cluster

    def _chosen(self, item: QListWidgetItem | None, previous: QListWidgetItem | None) -> None:
        if self._dirty:
            self.list.blockSignals(True)
            if previous is None:
                self.list.setCurrentRow(-1)
            else:
                self.list.setCurrentItem(previous)
            self.list.blockSignals(False)
            self.error.setText("Save or revert this context first.")
            return
        name = item.data(Qt.ItemDataRole.UserRole) if item else None
        self._show(self.config.context(name) if isinstance(name, str) else None)

    def _show(self, context: Context | None) -> None:
        self._editing = context
        self.form.load(context)
        self.error.clear()
        self.remove_button.setText("Remove")
        self.remove_button.setEnabled(context is not None)
        self._set_dirty(context is None)

    def _set_dirty(self, dirty: bool) -> None:
        self._dirty = dirty
        self.save_button.setEnabled(dirty)
        self.revert_button.setEnabled(dirty and self._editing is not None)

    def _add(self) -> None:
        if self._dirty and self._editing is not None:
            self.error.setText("Save or revert this context first.")
            return
        self.list.blockSignals(True)
        self.list.clearSelection()
        self.list.setCurrentRow(-1)
        self.list.blockSignals(False)
        self._show(None)
        self.setWindowTitle(f"Contexts — {NEW}")
        self.form.setCurrentIndex(0)
        self.form.name.setFocus()

    def _remove(self) -> None:
        context = self._editing
        if context is None:
            return
        confirm = f"Remove “{context.name}”? Click again"
        if self.remove_button.text() != confirm:
            self.remove_button.setText(confirm)  # a second click, not a modal question
            return
        self.config = self.config.without_context(context.name)
        self._set_dirty(False)
        self.saved.emit(self.config, context)
        self.removed.emit(context)
        self._fill_list(None)

    # Saving -----------------------------------------------------------------------------

    def save(self) -> bool:
        """Check the form and hand the settings back; False (and why) when it is not valid."""
        before = self._editing
        try:
            context = self.form.read().check()
        except (ContextError, TemplateError) as exc:
            self.error.setText(str(exc))
            return False
        secret = self.form.totp_secret.text().strip().replace(" ", "")
        if secret and not _is_base32(secret):
            self.error.setText("The TOTP secret must be the base32 text shown at enrolment.")
            return False
        taken = [c.name for c in self.config.contexts if before is None or c.name != before.name]
        if context.name in taken:
            self.error.setText(f"A context named “{context.name}” already exists.")
            return False
        config = self.config
        if before is not None and before.name != context.name:
            config = config.without_context(before.name)
            self.removed.emit(before)  # its keyring entries are under the old name
        self.config = config.with_context(context)
        self._set_dirty(False)
        self.saved.emit(self.config, before)
        if secret and context.remember_totp_secret:
            self.totp_secret_entered.emit(context, secret)
        self.setWindowTitle("Contexts")
        self._fill_list(context.name)
        return True
