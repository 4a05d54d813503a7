"""The service map: services laid out in columns (callers left of whom they call).

The layout comes from ``core.service_graph``; this view only places items where it says.
A refresh with the same services and calls updates the items in place; a changed topology
rebuilds them and fits the map into the view again.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QPainter, QResizeEvent
from PySide6.QtWidgets import QFrame, QGraphicsScene, QGraphicsView, QWidget

from ...core.service_map import ServiceMap
from ..theme import StatusColours
from .edges import EdgeItem
from .items import NODE_HEIGHT, NODE_WIDTH, MapColours, NodeItem

COLUMN_GAP = NODE_WIDTH + 150.0
ROW_GAP = NODE_HEIGHT + 42.0
MARGIN = 24.0
MAX_SCALE = 1.25  # a small map in a big window grows a little, not to poster size
MIN_SCALE = 0.6  # below this the numbers are unreadable: scroll instead


class ServiceMapView(QGraphicsView):
    """Draws a :class:`ServiceMap`; a click on a service selects it.

    Signals:
        service_clicked(str): the user clicked a service (its name).
    """

    service_clicked = Signal(str)

    def __init__(self, colours: StatusColours, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("service-map")
        self.setScene(QGraphicsScene(self))
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self._colours = MapColours.of(colours)
        self.nodes: dict[str, NodeItem] = {}
        self.edges: dict[tuple[str, str], EdgeItem] = {}
        self._topology: tuple[frozenset[str], frozenset[tuple[str, str]]] | None = None
        self._selected: str | None = None

    @property
    def selected(self) -> str | None:
        return self._selected

    def show_map(self, service_map: ServiceMap) -> None:
        """Draw ``service_map``, in place when its services and calls are the ones shown."""
        topology = (
            frozenset(service_map.nodes),
            frozenset((e.caller, e.callee) for e in service_map.edges),
        )
        if topology != self._topology:
            self._rebuild(service_map)
            self._topology = topology
        else:
            for name, node in service_map.nodes.items():
                self.nodes[name].update_node(node)
            for edge in service_map.edges:
                self.edges[(edge.caller, edge.callee)].update_edge(edge)
        if self._selected not in self.nodes:
            self._selected = None

    def select(self, name: str | None) -> None:
        """Highlight ``name`` (None: nothing)."""
        self._selected = name if name in self.nodes else None
        for item_name, item in self.nodes.items():
            item.set_selected(item_name == self._selected)

    def set_colours(self, colours: StatusColours) -> None:
        self._colours = MapColours.of(colours)
        for node in self.nodes.values():
            node.set_colours(self._colours)
        for edge in self.edges.values():
            edge.set_colours(self._colours)

    def _rebuild(self, service_map: ServiceMap) -> None:
        scene = self.scene()
        scene.clear()
        self.nodes.clear()
        self.edges.clear()
        layout = service_map.layout
        for name, node in service_map.nodes.items():
            item = NodeItem(node, self._colours)
            point = layout.positions[name]
            item.setPos(point.x * COLUMN_GAP, point.y * ROW_GAP)
            item.clicked.connect(self.service_clicked)
            scene.addItem(item)
            self.nodes[name] = item
        for edge in service_map.edges:
            route = layout.routes.get((edge.caller, edge.callee))
            if route is None:
                continue
            scaled = [type(p)(p.x * COLUMN_GAP, p.y * ROW_GAP) for p in route]
            item_edge = EdgeItem(edge, scaled, self._colours)
            scene.addItem(item_edge)
            self.edges[(edge.caller, edge.callee)] = item_edge
        bounds = scene.itemsBoundingRect().adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)
        scene.setSceneRect(bounds)
        self.select(self._selected)
        self._fit()

    def _fit(self) -> None:
        rect: QRectF = self.sceneRect()
        if rect.isEmpty():
            return
        view = self.viewport().rect()
        fit = min(view.width() / rect.width(), view.height() / rect.height())
        scale = max(MIN_SCALE, min(fit, MAX_SCALE))
        self.resetTransform()
        self.scale(scale, scale)
        self.centerOn(rect.center())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._fit()
