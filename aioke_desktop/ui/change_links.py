"""A click on a change marked on a chart opens what changed: its page, with it selected.

The change names its item by its audit resource (``flag/checkout-v2``, ``breaker/a->b``,
``chaos/runs/7``, ``runbook/restart/executions/3``, ``service/search``); each page already
selects an item by its key. A page that has not loaded yet selects it when its data comes.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt

from ..core.annotations import Annotation
from .main_window import MainWindow
from .pages.base import Page, PageState


def _selector(page: Page, resource: str) -> Callable[[], None] | None:
    """What selects ``resource`` on ``page`` (None when the page cannot)."""
    kind, _, rest = resource.partition("/")
    parts = rest.split("/")
    select = getattr(page, "select", None)
    if kind in ("flag", "breaker") and select is not None:
        return lambda: select(rest)
    if kind == "chaos" and len(parts) == 2 and parts[0] == "runs" and select is not None:
        return lambda: select(parts[1])
    show_service = getattr(page, "show_service", None)
    if kind == "service" and show_service is not None:
        return lambda: show_service(rest)
    select_runbook = getattr(page, "select_runbook", None)
    select_execution = getattr(page, "select_execution", None)
    if kind == "runbook" and select_runbook is not None and select_execution is not None:

        def runbook() -> None:
            select_runbook(parts[0])
            if len(parts) == 3 and parts[1] == "executions":
                select_execution(parts[2])

        return runbook
    return None


def open_change(window: MainWindow, change: Annotation) -> None:
    """Show the page of what ``change`` changed, with the changed item selected."""
    if change.page is None:
        return
    window.show_page(change.page)
    page = window.current_page()
    select = _selector(page, change.resource)
    if select is None:
        return
    if page.state is PageState.DATA:
        select()
    else:  # still loading: select it when its data comes
        page.poller.data.connect(lambda _data: select(), Qt.ConnectionType.SingleShotConnection)
