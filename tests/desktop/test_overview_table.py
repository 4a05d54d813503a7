"""The services table: a model over plain rows, kept in step with each refresh."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import QPersistentModelIndex, Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from aioke_desktop.ui.charts.sparkline import TREND_ROLE, trend
from aioke_desktop.ui.models.services_table import (
    SORT_ROLE,
    STATE_ROLE,
    ServiceRow,
    ServicesProxy,
    ServicesTableModel,
    SloState,
    slo_state,
)
from aioke_desktop.ui.theme import DARK, LIGHT

NAN, INF = math.nan, math.inf


def row(service: str, traffic: float = 10.0, budget: float = 80.0, **kw: object) -> ServiceRow:
    values = (traffic, 0.01, 12.0, 40.0, 90.0, 55.0, budget)
    spark = np.linspace(0, 1, 30)
    state = kw.get("state", SloState.OK)
    assert isinstance(state, SloState)
    return ServiceRow(service, values, (spark,) * 6 + (None,), state, "availability (99.9 %)")


def filled() -> ServicesTableModel:
    model = ServicesTableModel()
    model.set_rows([row("checkout"), row("search", budget=NAN), row("auth", traffic=INF)])
    return model


def changes(model: ServicesTableModel) -> None:
    """Rows come, go and change under the tester's eyes."""
    model.set_rows([row("search", budget=5.0, state=SloState.BURNING), row("payments")])
    model.set_colours(DARK)
    model.set_rows([])
    model.set_rows([row("gateway"), row("auth", budget=NAN)])


def test_the_model_passes_the_model_tester(qtmodeltester: ModelTester) -> None:
    model = filled()
    qtmodeltester.check(model, force_py=True)
    changes(model)


def test_the_sorted_and_filtered_proxy_passes_the_model_tester(
    qtmodeltester: ModelTester,
) -> None:
    model = filled()
    proxy = ServicesProxy()
    proxy.setSourceModel(model)
    proxy.sort(7, Qt.SortOrder.AscendingOrder)
    proxy.setFilterFixedString("a")
    qtmodeltester.check(proxy, force_py=True)
    changes(model)


def test_cells_say_the_number_its_unit_and_what_is_missing() -> None:
    model = filled()
    checkout, search, auth = (model.index(r, 0) for r in range(3))
    assert [model.index(0, c).data() for c in range(8)] == [
        "checkout", "10 req/s", "0.01%", "12 ms", "40 ms", "90 ms", "55%", "80%",
    ]  # fmt: skip
    assert model.index(search.row(), 7).data() == "—"
    assert "No data" in model.index(search.row(), 7).data(Qt.ItemDataRole.ToolTipRole)
    assert model.index(auth.row(), 1).data() == "∞"
    assert model.index(checkout.row(), 7).data(Qt.ItemDataRole.ToolTipRole) == (
        "availability (99.9 %): 80% of the error budget left"
    )
    assert isinstance(model.index(0, 3).data(TREND_ROLE), np.ndarray)
    assert model.index(0, 7).data(TREND_ROLE) is None


def test_missing_numbers_sink_to_the_bottom_whichever_way_a_column_is_sorted() -> None:
    model = ServicesTableModel()
    model.set_rows([row("a", budget=50.0), row("b", budget=NAN), row("c", budget=10.0)])
    proxy = ServicesProxy()
    proxy.setSourceModel(model)
    names = lambda: [proxy.index(r, 0).data() for r in range(proxy.rowCount())]  # noqa: E731
    proxy.sort(7, Qt.SortOrder.AscendingOrder)
    assert names() == ["c", "a", "b"]
    proxy.sort(7, Qt.SortOrder.DescendingOrder)
    assert names() == ["a", "c", "b"]
    proxy.setFilterFixedString("C")
    assert names() == ["c"]


def test_a_refresh_updates_rows_in_place_so_the_selection_survives(qtbot: QtBot) -> None:
    model = filled()
    kept = QPersistentModelIndex(model.index(1, 0))
    again = [row("checkout"), row("search", budget=3.0), row("auth", traffic=INF)]
    with (
        qtbot.assertNotEmitted(model.modelReset),
        qtbot.assertNotEmitted(model.rowsInserted),
        qtbot.waitSignal(model.dataChanged) as changed,
    ):
        model.set_rows(again)
    assert changed.args[0].row() == changed.args[1].row() == 1
    assert Qt.ItemDataRole.ForegroundRole not in changed.args[2]  # the state did not change
    assert kept.isValid()
    assert kept.data() == "search"
    assert model.index(1, 7).data() == "3%"
    # The same numbers again: nothing to repaint.
    with qtbot.assertNotEmitted(model.dataChanged):
        model.set_rows([row("checkout"), row("search", budget=3.0), row("auth", traffic=INF)])


def test_a_new_service_is_appended_and_a_gone_one_removed(qtbot: QtBot) -> None:
    model = filled()
    with qtbot.waitSignal(model.rowsRemoved) as removed, qtbot.waitSignal(model.rowsInserted):
        model.set_rows([row("checkout"), row("auth", traffic=INF), row("payments")])
    assert removed.args[1] == removed.args[2] == 1
    assert [model.index(r, 0).data() for r in range(3)] == ["checkout", "auth", "payments"]


def test_state_colours_follow_the_theme(qtbot: QtBot) -> None:
    model = ServicesTableModel()
    model.set_rows([row("checkout", state=SloState.EXHAUSTED)])
    assert model.index(0, 7).data(Qt.ItemDataRole.ForegroundRole).name() == LIGHT.danger
    with qtbot.waitSignal(model.dataChanged) as changed:
        model.set_colours(DARK)
    assert Qt.ItemDataRole.ForegroundRole in changed.args[2]
    assert model.index(0, 7).data(Qt.ItemDataRole.ForegroundRole).name() == DARK.danger
    assert model.index(0, 0).data(Qt.ItemDataRole.DecorationRole).name() == DARK.danger
    assert model.index(0, 0).data(STATE_ROLE) == "exhausted"
    assert model.index(0, 3).data(SORT_ROLE) == 12.0


@pytest.mark.parametrize(
    ("budget", "burn_rate", "state"),
    [
        (80.0, 0.5, SloState.OK),
        (80.0, 2.0, SloState.BURNING),  # spending faster than planned
        (20.0, 0.0, SloState.BURNING),  # little budget left
        (-3.0, 0.0, SloState.EXHAUSTED),
        (80.0, 15.0, SloState.EXHAUSTED),  # the paging burn rate
        (NAN, NAN, SloState.UNKNOWN),
        (NAN, 0.5, SloState.OK),  # no budget series, burning within plan
        (80.0, NAN, SloState.OK),  # too little traffic for a burn rate: the budget decides
    ],
)
def test_slo_state(budget: float, burn_rate: float, state: SloState) -> None:
    assert slo_state(budget, burn_rate) is state


def test_a_trend_keeps_its_spikes_and_its_gaps() -> None:
    values = np.ones(720)
    values[100] = 50.0
    values[600:660] = np.nan
    values[700] = np.inf
    cut = trend(values)
    assert len(cut) == 48
    assert np.nanmax(cut) == 50.0  # the spike survives the cut
    assert np.isnan(cut).sum() >= 3  # the gap too (and +Inf is a gap)
    assert not np.isinf(cut).any()
