"""The fields of one context, in three tabs: the cluster, its security, its queries.

Risky choices (TLS verification off, credentials over plain http, the TOTP secret in the
keyring) each show their warning while they are ticked.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ...core.contexts import Context, TlsSettings
from ...core.promql import GoldenSignalTemplates
from ..theme import LIGHT, StatusColours

INSECURE = (
    "TLS verification is off: anyone on the network path could read or change this session, "
    "your password and tokens included. Prefer the cluster's CA bundle."
)
PLAIN_HTTP = (
    "Your password and tokens may cross the network unencrypted to a host other than this computer."
)
BOTH_FACTORS = (
    "Both factors then live on this machine: anyone who can read your keyring can log in as "
    "you. Keep this for sandboxes and demos, not production."
)
TEMPLATE_HELP = (
    "PromQL for the golden signals. $service is a regex of the selected services, $window a "
    "range such as 5m, $quantile (latency only) a number such as 0.99."
)
TEMPLATE_NAMES = {
    "traffic": "Traffic",
    "error_ratio": "Errors (ratio)",
    "latency": "Latency",
    "saturation": "Saturation",
}


def _text(value: str) -> str | None:
    return value.strip() or None


class _FileField(QWidget):
    """A path with a Browse… button."""

    def __init__(self, caption: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.path = QLineEdit(self)
        self.path.setPlaceholderText("None")
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(lambda: self._browse(caption))
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.path, 1)
        row.addWidget(browse)

    def _browse(self, caption: str) -> None:
        chosen, _ = QFileDialog.getOpenFileName(
            self, caption, self.path.text(), "PEM (*.pem *.crt *.key);;All files (*)"
        )
        if chosen:
            self.path.setText(chosen)


class ContextForm(QTabWidget):
    """Edits one context; :meth:`read` builds it (unchecked: the editor checks it).

    Signals:
        edited(): the user changed something.
    """

    edited = Signal()

    def __init__(self, parent: QWidget | None = None, colours: StatusColours = LIGHT) -> None:
        super().__init__(parent)
        self._loading = False
        self.setObjectName("context-form")
        self.addTab(self._cluster_tab(), "Cluster")
        self.addTab(self._security_tab(), "Security")
        self.addTab(self._queries_tab(), "Queries")
        self.set_colours(colours)
        for box in (self.insecure, self.plain_http, self.remember_totp):
            box.toggled.connect(self._show_warnings)
        for line in self.findChildren(QLineEdit):
            line.textChanged.connect(self._changed)
        for box in self.findChildren(QCheckBox):
            box.toggled.connect(self._changed)
        for editor in self.templates.values():
            editor.textChanged.connect(self._changed)
        self._show_warnings()

    def _changed(self, *_: object) -> None:
        if not self._loading:
            self.edited.emit()

    def _cluster_tab(self) -> QWidget:
        tab = QWidget(self)
        self.name = QLineEdit(tab)
        self.name.setPlaceholderText("staging")
        self.control_plane = QLineEdit(tab)
        self.control_plane.setPlaceholderText("https://cp.example:8470")
        self.prometheus = QLineEdit(tab)
        self.prometheus.setPlaceholderText("https://prometheus.example:9090")
        self.alertmanager = QLineEdit(tab)
        self.alertmanager.setPlaceholderText("Optional: https://alertmanager.example:9093")
        self.username = QLineEdit(tab)
        self.production = QCheckBox("Production: changes ask for confirmation first", tab)
        form = QFormLayout(tab)
        form.addRow("Name", self.name)
        form.addRow("Control plane URL", self.control_plane)
        form.addRow("Prometheus URL", self.prometheus)
        form.addRow("Alertmanager URL", self.alertmanager)
        form.addRow("Username", self.username)
        form.addRow("", self.production)
        return tab

    def _security_tab(self) -> QWidget:
        tab = QWidget(self)
        self.ca_bundle = _FileField("CA bundle", tab)
        self.client_cert = _FileField("Client certificate", tab)
        self.client_key = _FileField("Client key", tab)
        self.insecure = QCheckBox("Skip TLS verification (insecure-skip-tls-verify)", tab)
        self.insecure_warning = self._warning(INSECURE, tab)
        self.plain_http = QCheckBox("Allow credentials over plain http:// to other hosts", tab)
        self.plain_http_warning = self._warning(PLAIN_HTTP, tab)
        self.remember_totp = QCheckBox("Keep the TOTP secret in the keyring and fill codes", tab)
        self.totp_warning = self._warning(BOTH_FACTORS, tab)
        self.totp_secret = QLineEdit(tab)
        self.totp_secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.totp_secret.setPlaceholderText("Paste the secret from your enrolment to store it")
        form = QFormLayout(tab)
        form.addRow("CA bundle", self.ca_bundle)
        form.addRow("Client certificate", self.client_cert)
        form.addRow("Client key", self.client_key)
        for widget in (self.insecure, self.insecure_warning, self.plain_http):
            form.addRow("", widget)
        for widget in (self.plain_http_warning, self.remember_totp, self.totp_warning):
            form.addRow("", widget)
        form.addRow("TOTP secret", self.totp_secret)
        return tab

    def _queries_tab(self) -> QWidget:
        tab = QWidget(self)
        column = QVBoxLayout(tab)
        help_text = QLabel(TEMPLATE_HELP, tab)
        help_text.setWordWrap(True)
        column.addWidget(help_text)
        self.templates: dict[str, QPlainTextEdit] = {}
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        for key, title in TEMPLATE_NAMES.items():
            editor = QPlainTextEdit(tab)
            editor.setFont(mono)
            editor.setMinimumHeight(editor.fontMetrics().lineSpacing() * 3 + 12)
            editor.setAccessibleName(f"{title} query")
            column.addWidget(QLabel(title, tab))
            column.addWidget(editor, 1)
            self.templates[key] = editor
        reset = QPushButton("Reset to defaults", tab)
        reset.clicked.connect(lambda: self._load_templates(GoldenSignalTemplates()))
        column.addWidget(reset, 0)
        return tab

    def _warning(self, text: str, parent: QWidget) -> QLabel:
        label = QLabel(text, parent)
        label.setWordWrap(True)
        return label

    def set_colours(self, colours: StatusColours) -> None:
        self.insecure_warning.setStyleSheet(f"color: {colours.danger}; font-weight: 600;")
        self.plain_http_warning.setStyleSheet(f"color: {colours.warning};")
        self.totp_warning.setStyleSheet(f"color: {colours.warning}; font-weight: 600;")

    def _show_warnings(self) -> None:
        self.insecure_warning.setVisible(self.insecure.isChecked())
        self.plain_http_warning.setVisible(self.plain_http.isChecked())
        self.totp_warning.setVisible(self.remember_totp.isChecked())
        self.totp_secret.setEnabled(self.remember_totp.isChecked())

    def _load_templates(self, templates: GoldenSignalTemplates) -> None:
        for key, text in templates.as_dict().items():
            self.templates[key].setPlainText(text)

    def load(self, context: Context | None) -> None:
        """Show ``context`` (None: an empty form for a new one, with default queries)."""
        self._loading = True
        try:
            self._fill(context or Context("", "", ""))
        finally:
            self._loading = False
        self._show_warnings()

    def _fill(self, c: Context) -> None:
        self.name.setText(c.name)
        self.control_plane.setText(c.control_plane_url)
        self.prometheus.setText(c.prometheus_url)
        self.alertmanager.setText(c.alertmanager_url or "")
        self.username.setText(c.username)
        self.production.setChecked(c.production)
        self.ca_bundle.path.setText(c.tls.ca_bundle or "")
        self.client_cert.path.setText(c.tls.client_cert or "")
        self.client_key.path.setText(c.tls.client_key or "")
        self.insecure.setChecked(c.tls.insecure_skip_tls_verify)
        self.plain_http.setChecked(c.allow_plain_http_credentials)
        self.remember_totp.setChecked(c.remember_totp_secret)
        self.totp_secret.clear()
        self._load_templates(c.queries)

    def read(self) -> Context:
        """The context as typed; ``check()`` it before use."""
        typed = {key: editor.toPlainText().strip() for key, editor in self.templates.items()}
        templates = GoldenSignalTemplates(**typed)
        return Context(
            name=self.name.text().strip(),
            control_plane_url=self.control_plane.text().strip(),
            prometheus_url=self.prometheus.text().strip(),
            username=self.username.text().strip(),
            alertmanager_url=_text(self.alertmanager.text()),
            tls=TlsSettings(
                ca_bundle=_text(self.ca_bundle.path.text()),
                client_cert=_text(self.client_cert.path.text()),
                client_key=_text(self.client_key.path.text()),
                insecure_skip_tls_verify=self.insecure.isChecked(),
            ),
            allow_plain_http_credentials=self.plain_http.isChecked(),
            production=self.production.isChecked(),
            queries=templates,
            remember_totp_secret=self.remember_totp.isChecked(),
        )
