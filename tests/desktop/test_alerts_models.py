"""The alerts and silences tables: Qt's model rules, the server's groups, the filters."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from PySide6.QtCore import QObject, Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from aioke_desktop.core.alert_runbooks import runbook_ref
from aioke_desktop.core.alert_state import AlertStatus, CurrentAlert, Severity, alert_identity
from aioke_desktop.core.alerts import Matcher, Silence
from aioke_desktop.ui.models.alerts_table import (
    GROUP_COLUMN,
    NAME_COLUMN,
    STATE_COLUMN,
    AlertFilter,
    AlertsTableModel,
)
from aioke_desktop.ui.models.silences_table import SilenceFilter, SilencesTableModel
from aioke_desktop.ui.theme import LIGHT

NOW = 2_000_000_000.0


def alert(
    name: str, group: str, severity: str = "critical", status: AlertStatus = AlertStatus.FIRING
) -> CurrentAlert:
    labels = {"alertname": name, "severity": severity, "service": group.lower()}
    return CurrentAlert(
        key=alert_identity(labels),
        fingerprint=alert_identity(labels),
        labels=labels,
        annotations={"summary": f"{name} fires", "runbook": "stop-chaos-on-service"},
        status=status,
        since=NOW - 300,
        group=group,
        silenced_by=("s-1",) if status is AlertStatus.SILENCED else (),
        runbook=runbook_ref({"runbook": "stop-chaos-on-service"}),
    )


ALERTS = [
    alert("ZetaTicket", "Zeta", "warning"),
    alert("ZetaPage", "Zeta"),
    alert("AlphaMuted", "Alpha", status=AlertStatus.SILENCED),
    alert("AlphaSoon", "Alpha", "info", AlertStatus.PENDING),
]


def names(proxy: AlertFilter) -> list[str]:
    return [str(proxy.index(row, NAME_COLUMN).data()) for row in range(proxy.rowCount())]


def test_the_alerts_table_keeps_the_servers_groups_worst_first(
    qtbot: QtBot, qtmodeltester: ModelTester
) -> None:
    parent = QObject()
    model = AlertsTableModel(LIGHT, lambda: NOW, parent)
    proxy = AlertFilter(parent)
    proxy.setSourceModel(model)
    model.replace(ALERTS)
    qtmodeltester.check(model)
    qtmodeltester.check(proxy)
    proxy.sort(GROUP_COLUMN, Qt.SortOrder.AscendingOrder)
    # Zeta came first from the server, so it stays first; the page before the ticket.
    assert names(proxy) == ["ZetaPage", "ZetaTicket", "AlphaMuted", "AlphaSoon"]
    row = model.row_of(ALERTS[2].key)
    assert row is not None
    assert model.index(row, STATE_COLUMN).data() == "Silenced"
    assert model.index(row, STATE_COLUMN).data(Qt.ItemDataRole.ToolTipRole) == "Silenced by s-1"
    assert model.index(0, 4).data().endswith("(5 min 00 s)")

    # A refresh: one resolved, one changed state, one new; rows are updated in place.
    with qtbot.waitSignal(model.rowsRemoved), qtbot.waitSignal(model.rowsInserted):
        model.replace(
            [
                ALERTS[0],
                replace(ALERTS[1], status=AlertStatus.SILENCED, silenced_by=("s-2",)),
                ALERTS[3],
                alert("BetaPage", "Beta"),
            ]
        )
    qtmodeltester.check(model)
    assert model.rowCount() == 4
    assert model.row_of(ALERTS[2].key) is None


def test_the_filters_choose_by_state_severity_group_and_text(qtmodeltester: ModelTester) -> None:
    parent = QObject()
    model = AlertsTableModel(LIGHT, lambda: NOW, parent)
    proxy = AlertFilter(parent)
    proxy.setSourceModel(model)
    model.replace(ALERTS)
    proxy.sort(GROUP_COLUMN, Qt.SortOrder.AscendingOrder)
    proxy.set_states(frozenset({AlertStatus.FIRING}))
    assert names(proxy) == ["ZetaPage", "ZetaTicket"]
    proxy.set_least_severity(Severity.CRITICAL)
    assert names(proxy) == ["ZetaPage"]
    proxy.set_states(frozenset(AlertStatus))
    proxy.set_least_severity(Severity.NONE)
    proxy.set_group("Alpha")
    assert names(proxy) == ["AlphaMuted", "AlphaSoon"]
    proxy.set_group("")
    proxy.set_text("soon")
    assert names(proxy) == ["AlphaSoon"]
    proxy.set_text("service=zeta")  # labels are searched too
    assert names(proxy) == ["ZetaPage", "ZetaTicket"]
    qtmodeltester.check(proxy)


def iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).isoformat().replace("+00:00", "Z")


def silence(silence_id: str, state: str, ends_in: float) -> Silence:
    return Silence(
        id=silence_id,
        matchers=(
            Matcher("alertname", "GatewayHighErrorRate"),
            Matcher("sloth_service", "gate.*", is_regex=True),
        ),
        starts_at=iso(NOW - 600),
        ends_at=iso(NOW + ends_in),
        created_by="alice",
        comment="Looking into it",
        state=state,
    )


def test_the_silences_table_counts_down_and_hides_expired_ones(
    qtbot: QtBot, qtmodeltester: ModelTester
) -> None:
    parent = QObject()
    model = SilencesTableModel(LIGHT, lambda: NOW, parent)
    proxy = SilenceFilter(parent)
    proxy.setSourceModel(model)
    model.replace([silence("aaaaaaaa-1", "active", 3600), silence("bbbbbbbb-2", "expired", -60)])
    qtmodeltester.check(model)
    qtmodeltester.check(proxy)
    assert model.index(0, 1).data() == "alertname=GatewayHighErrorRate, sloth_service=~gate.*"
    assert model.index(0, 5).data().endswith("(in 1 h 00 min)")
    assert model.index(1, 5).data().startswith("ended ")
    assert proxy.rowCount() == 1
    proxy.set_show_expired(True)
    assert proxy.rowCount() == 2
    with qtbot.waitSignal(model.dataChanged):
        model.tick()
