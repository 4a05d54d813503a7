"""``--demo`` in the window: start (or reuse) the sandbox off the GUI thread, then log in to
it through the real login path with the credentials from its status file (kept in memory)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from ..core.contexts import Context
from ..runtime.demo import DemoCluster, start_sandbox
from ..runtime.task_runner import Lane, TaskRunner
from .main_window import MainWindow
from .session_controls import SessionControls
from .widgets.banner import BannerKind

log = logging.getLogger(__name__)

STARTING = (
    "Starting the sandbox cluster… A first start seeds 30 days of history, which takes about "
    "a minute; later starts take seconds."
)


class DemoMode(QObject):
    """Starts the sandbox and logs in to it.

    Signals:
        ready(Context): the sandbox runs and the login has been started.
        failed(str): the sandbox could not start (one sentence).
    """

    ready = Signal(object)
    failed = Signal(str)

    def __init__(
        self,
        runner: TaskRunner,
        window: MainWindow,
        controls: SessionControls,
        on_context: Callable[[Context], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._runner, self._window, self._controls = runner, window, controls
        self._on_context = on_context
        self.cluster: DemoCluster | None = None

    def start(self) -> None:
        self._window.notice.show_message(STARTING, BannerKind.WARNING)
        self._runner.run(
            start_sandbox, self._started, self._failed, owner=self, lane=Lane.LONG, name="sandbox"
        )

    def stop(self) -> None:
        if self.cluster is not None:
            self.cluster.stop()

    def _started(self, cluster: DemoCluster) -> None:
        self.cluster = cluster
        self._window.notice.clear()
        self._on_context(cluster.context)
        self._controls.flow.start(
            cluster.context,
            password=cluster.password,
            totp_secret=cluster.totp_secret,
            interactive=False,
        )
        self.ready.emit(cluster.context)

    def _failed(self, error: BaseException) -> None:
        sentence = str(error)
        log.error("demo: %s", sentence)
        self._window.notice.show_message(sentence, BannerKind.DANGER)
        self.failed.emit(sentence)
