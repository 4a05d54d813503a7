"""The Services page: the service map, and the clicked service's signals and instances.

Services are coloured by the worst of their health and their SLOs' state; calls carry
their rate, error ratio and breaker state. One fetch reads the services, breakers and SLOs
from the control plane and the signals from Prometheus; without Prometheus the map still
shows who calls whom and every breaker, with a sentence saying what is missing.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from ...api.errors import ApiError
from ...core.promql import GoldenSignalTemplates
from ...core.service_map import (
    CALL_RATES,
    CallRates,
    GoldenSignals,
    ServiceMap,
    build_service_map,
    call_rates,
    read_golden_signals,
    worst,
)
from ...core.slo import DEFAULT_MIN_REQUESTS_PER_HOUR
from ...core.slo_queries import read_slo_statuses
from ...core.slo_status import SloStatus
from ...runtime.session import Connection, Session
from ...runtime.task_runner import TaskRunner
from ..service_map.details import ServiceDetails
from ..service_map.view import ServiceMapView
from ..theme import StatusColours, Theme
from .base import Page, ViewSettings


def fetch_service_map(
    connection: Connection,
    templates: GoldenSignalTemplates,
    start: float,
    end: float,
    min_requests_per_hour: float = DEFAULT_MIN_REQUESTS_PER_HOUR,
) -> ServiceMap:
    """Read everything the map shows (on a worker thread)."""
    cluster = connection.cluster
    with ThreadPoolExecutor(3, thread_name_prefix="cluster") as pool:  # one round trip, not 3
        services_read = pool.submit(cluster.services)
        breakers_read = pool.submit(cluster.breakers.all)
        slos_read = pool.submit(cluster.slos)
    services, breakers, slos = services_read.result(), breakers_read.result(), slos_read.result()
    warnings: list[str] = []
    signals: dict[str, GoldenSignals] = {}
    rates: dict[str, CallRates] = {}
    statuses: tuple[SloStatus, ...] = ()
    try:
        prometheus = connection.prometheus
        signals = read_golden_signals(prometheus, templates, start, end)
        rates = call_rates(prometheus.query(CALL_RATES).series)
        readings = read_slo_statuses(prometheus, slos, min_requests_per_hour=min_requests_per_hour)
        statuses = readings.statuses
    except ApiError as exc:
        warnings.append(
            f"Signals, call rates and SLO states are missing: {exc.message} "
            "The map shows what the control plane knows."
        )
    return build_service_map(services, breakers, rates, signals, statuses, warnings)


def legend_html(colours: StatusColours) -> str:
    def whole(text: str) -> str:  # a narrow window wraps between entries, never inside one
        return text.replace(" ", "&nbsp;")

    def swatch(colour: str, text: str) -> str:
        return f'<span style="color:{colour}">■</span>&nbsp;{whole(text)}'

    return " &nbsp; ".join(
        [
            swatch(colours.ok_fill, "healthy"),
            swatch(colours.warning_fill, "degraded, ticket or budget low"),
            swatch(colours.danger_fill, "down, paging or budget spent"),
            whole("dashed call: breaker open or disabled"),
            whole("thicker: more calls"),
        ]
    )


class ServicesPage(Page):
    key = "services"
    title = "Services"
    description = (
        "The service map: who calls whom, at what rate and error ratio, and each breaker's state."
    )
    empty_detail = "The cluster lists no services."
    needs_connection = True
    live_kinds = ("breaker.", "service.", "chaos.")

    def __init__(
        self,
        runner: TaskRunner,
        theme: Theme,
        session: Session | None = None,
        parent: QWidget | None = None,
    ) -> None:
        self._colours = theme.colours
        self.service_map: ServiceMap | None = None
        self.min_requests_per_hour = DEFAULT_MIN_REQUESTS_PER_HOUR
        super().__init__(runner, theme, session, parent)
        theme.changed.connect(self._set_colours)

    def build_content(self) -> QWidget:
        box = QWidget(self)
        self.warning = QLabel(box)
        self.warning.setWordWrap(True)
        self.warning.setVisible(False)
        self.map_view = ServiceMapView(self._colours, box)
        self.details = ServiceDetails(self._colours, box)
        self.details.setMinimumWidth(300)
        self.map_view.service_clicked.connect(self.show_service)
        self.legend = QLabel(box)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)
        left = QWidget(box)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.map_view, 1)
        left_layout.addWidget(self.legend)
        splitter = QSplitter(Qt.Orientation.Horizontal, box)
        splitter.addWidget(left)
        splitter.addWidget(self.details)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.warning)
        layout.addWidget(splitter, 1)
        self._set_colours(self._colours)
        return box

    def make_fetch(self, view: ViewSettings) -> Callable[[], object] | None:
        connection = self.session.connection
        if connection is None:
            return None
        templates = connection.context.queries
        time_range, threshold = view.time_range, self.min_requests_per_hour

        def fetch() -> ServiceMap:
            start, end = time_range.bounds(datetime.now(UTC))
            return fetch_service_map(
                connection, templates, start.timestamp(), end.timestamp(), threshold
            )

        return fetch

    def present(self, data: object) -> bool:
        if not isinstance(data, ServiceMap) or not data.nodes:
            return False
        self.service_map = data
        self.map_view.show_map(data)
        self.warning.setText(" ".join(data.warnings))
        self.warning.setVisible(bool(data.warnings))
        selected = self.map_view.selected
        if selected is None:  # the worst service first: what someone paged wants to see
            worst_level = worst(n.level for n in data.nodes.values())
            selected = min(n for n, node in data.nodes.items() if node.level == worst_level)
        self.show_service(selected)
        return True

    def set_min_requests_per_hour(self, value: float) -> None:
        """The low-traffic guard for the SLO states that colour the map (next refresh)."""
        self.min_requests_per_hour = float(value)

    def show_service(self, name: str) -> None:
        """Select ``name`` on the map and show its signals and instances."""
        if self.service_map is None or name not in self.service_map.nodes:
            return
        self.map_view.select(name)
        self.details.show_node(self.service_map.nodes[name], self.service_map)

    def _set_colours(self, colours: StatusColours) -> None:
        self._colours = colours
        self.map_view.set_colours(colours)
        self.details.set_colours(colours)
        self.legend.setText(legend_html(colours))
        self.warning.setStyleSheet(f"color: {colours.warning}; font-weight: 600;")
