"""SLO definitions in Sloth's ``prometheus/v1`` spec format, loaded and checked.

A file holds one service and its SLOs. Every mistake is reported with the file and the field
(``slos[1].objective``) so an SRE editing YAML knows exactly what to fix.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

SPEC_VERSION = "prometheus/v1"
PERIOD_DAYS = 30  # Sloth's default period; the burn-rate windows below are tuned for it.
_NAME = re.compile(r"^[A-Za-z0-9][-A-Za-z0-9_.]*$")
_LABEL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
WINDOW_PLACEHOLDER = re.compile(r"\{\{\s*\.window\s*\}\}")


class SloSpecError(ValueError):
    """A spec file that is not valid; ``field`` is the path to the offending value."""

    def __init__(self, source: str, field: str, problem: str) -> None:
        super().__init__(f"{source}: {field}: {problem}")
        self.source = source
        self.field = field
        self.problem = problem


@dataclass(frozen=True)
class BurnRateWindow:
    """One half of a multi-window multi-burn-rate alert: both windows must burn too fast."""

    severity: str
    long_window: str
    short_window: str
    burn_rate: float


# Sloth's defaults for a 30-day period: page when 2 % of the budget goes in 1 h or 5 % in 6 h,
# open a ticket when 10 % goes in a day or in three days.
BURN_RATE_WINDOWS: tuple[BurnRateWindow, ...] = (
    BurnRateWindow("page", "1h", "5m", 14.4),
    BurnRateWindow("page", "6h", "30m", 6.0),
    BurnRateWindow("ticket", "1d", "2h", 3.0),
    BurnRateWindow("ticket", "3d", "6h", 1.0),
)
SLI_WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")


@dataclass(frozen=True)
class Alert:
    """The page or the ticket alert of an SLO."""

    disable: bool
    labels: Mapping[str, str]
    annotations: Mapping[str, str]


@dataclass(frozen=True)
class Alerting:
    """The alerts' name, shared labels and annotations, and the page and ticket alerts."""

    name: str
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    page: Alert
    ticket: Alert


@dataclass(frozen=True)
class Sli:
    """Either bad and total events (``events``) or a ready error ratio (``raw``)."""

    error_query: str | None = None
    total_query: str | None = None
    error_ratio_query: str | None = None


@dataclass(frozen=True)
class Slo:
    """One SLO of one service, with the service's labels merged into its own."""

    service: str
    name: str
    objective: float  # percent, (0, 100]
    description: str
    labels: Mapping[str, str]
    sli: Sli
    alerting: Alerting
    source: str

    @property
    def id(self) -> str:
        """Sloth's ``sloth_id``: service and SLO name."""
        return f"{self.service}-{self.name}"

    @property
    def error_budget_ratio(self) -> float:
        # The same float arithmetic as Sloth, so thresholds match its output digit for digit.
        return (100 - self.objective) / 100

    def to_json(self) -> dict[str, Any]:
        """The SLO as ``GET /api/v1/slos`` shows it, burn-rate windows included."""
        sli = self.sli
        if sli.error_ratio_query is not None:
            sli_json: dict[str, Any] = {"raw": {"error_ratio_query": sli.error_ratio_query}}
        else:
            sli_json = {"events": {"error_query": sli.error_query, "total_query": sli.total_query}}

        def alert(severity: str, spec: Alert) -> dict[str, Any]:
            windows = [
                {"long": w.long_window, "short": w.short_window, "burn_rate": w.burn_rate}
                for w in BURN_RATE_WINDOWS
                if w.severity == severity
            ]
            return {**asdict(spec), "windows": windows}

        return {
            "id": self.id,
            "service": self.service,
            "name": self.name,
            "description": self.description,
            "objective": self.objective,
            "error_budget_ratio": self.error_budget_ratio,
            "period": f"{PERIOD_DAYS}d",
            "labels": dict(self.labels),
            "sli": sli_json,
            "alerting": {
                "name": self.alerting.name,
                "labels": dict(self.alerting.labels),
                "annotations": dict(self.alerting.annotations),
                "page_alert": alert("page", self.alerting.page),
                "ticket_alert": alert("ticket", self.alerting.ticket),
            },
            "source": self.source,
        }


def load_slos(directory: Path) -> list[Slo]:
    """Every SLO in ``*.yaml`` and ``*.yml`` under ``directory``, in file then spec order."""
    slos: list[Slo] = []
    seen: dict[str, str] = {}
    for path in sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]):
        for slo in parse_spec(path.read_text(encoding="utf-8"), source=path.name):
            if slo.id in seen:
                raise SloSpecError(path.name, "slos", f"SLO {slo.id} is also in {seen[slo.id]}")
            seen[slo.id] = path.name
            slos.append(slo)
    return slos


def parse_spec(text: str, *, source: str = "<spec>") -> list[Slo]:
    """The SLOs of one spec document; raises :class:`SloSpecError` naming the bad field."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SloSpecError(source, "(document)", f"is not valid YAML ({exc})") from exc
    check = _Checker(source)
    doc = check.mapping(doc, "(document)", {"version", "service", "labels", "slos"})
    if doc.get("version") != SPEC_VERSION:
        raise SloSpecError(source, "version", f'must be "{SPEC_VERSION}"')
    service = check.name(doc.get("service"), "service")
    service_labels = check.labels(doc.get("labels"), "labels")
    raw_slos = doc.get("slos")
    if not isinstance(raw_slos, list) or not raw_slos:
        raise SloSpecError(source, "slos", "must be a non-empty list of SLOs")
    slos: list[Slo] = []
    for index, raw in enumerate(raw_slos):
        slo = check.slo(raw, f"slos[{index}]", service, service_labels)
        if any(other.name == slo.name for other in slos):
            raise SloSpecError(source, f"slos[{index}].name", f"{slo.name} is used twice")
        slos.append(slo)
    return slos


class _Checker:
    """Turns parsed YAML into dataclasses, failing with the path of the first bad value."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, field: str, problem: str) -> SloSpecError:
        return SloSpecError(self.source, field, problem)

    def mapping(self, value: object, field: str, allowed: set[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(field, "must be a mapping")
        for key in value:
            if key not in allowed:
                where = f"{field}.{key}" if field != "(document)" else str(key)
                expected = ", ".join(sorted(allowed))
                raise self.fail(where, f"is not a field here (expected {expected})")
        return value

    def text(self, value: object, field: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(field, "must be a non-empty string")
        return value

    def name(self, value: object, field: str) -> str:
        text = self.text(value, field)
        if not _NAME.match(text):
            raise self.fail(field, "may hold only letters, digits, '-', '_' and '.'")
        return text

    def labels(self, value: object, field: str, kind: str = "label") -> dict[str, str]:
        """Labels (or, with ``kind="annotation"``, annotations): names Prometheus accepts."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(field, f"must be a mapping of {kind} names to values")
        pairs: dict[str, str] = {}
        for key, item in value.items():
            if not isinstance(key, str) or not _LABEL_NAME.match(key):
                raise self.fail(f"{field}.{key}", f"is not a valid {kind} name")
            if kind == "label" and key.startswith("sloth_"):
                raise self.fail(f"{field}.{key}", "sloth_ labels are reserved for the generator")
            if not isinstance(item, str | int | float) or isinstance(item, bool):
                raise self.fail(f"{field}.{key}", "must be a string")
            pairs[key] = str(item)
        return pairs

    def slo(self, raw: object, field: str, service: str, service_labels: dict[str, str]) -> Slo:
        allowed = {"name", "objective", "description", "labels", "sli", "alerting"}
        raw = self.mapping(raw, field, allowed)
        name = self.name(raw.get("name"), f"{field}.name")
        objective = raw.get("objective")
        if (
            not isinstance(objective, int | float)
            or isinstance(objective, bool)
            or not 0 < objective <= 100
        ):
            raise self.fail(f"{field}.objective", "must be a number above 0 and at most 100")
        description = raw.get("description", "")
        if not isinstance(description, str):
            raise self.fail(f"{field}.description", "must be a string")
        return Slo(
            service=service,
            name=name,
            objective=float(objective),
            description=description,
            labels={**service_labels, **self.labels(raw.get("labels"), f"{field}.labels")},
            sli=self.sli(raw.get("sli"), f"{field}.sli"),
            alerting=self.alerting(raw.get("alerting"), f"{field}.alerting"),
            source=self.source,
        )

    def sli(self, raw: object, field: str) -> Sli:
        raw = self.mapping(raw, field, {"events", "raw", "plugin"})
        if "plugin" in raw:
            raise self.fail(f"{field}.plugin", "SLI plugins are not supported by the sandbox")
        if ("events" in raw) == ("raw" in raw):
            raise self.fail(field, "needs exactly one of events or raw")
        if "raw" in raw:
            inner = self.mapping(raw["raw"], f"{field}.raw", {"error_ratio_query"})
            return Sli(error_ratio_query=self.query(inner, f"{field}.raw", "error_ratio_query"))
        inner = self.mapping(raw["events"], f"{field}.events", {"error_query", "total_query"})
        return Sli(
            error_query=self.query(inner, f"{field}.events", "error_query"),
            total_query=self.query(inner, f"{field}.events", "total_query"),
        )

    def query(self, raw: dict[str, Any], field: str, key: str) -> str:
        text = self.text(raw.get(key), f"{field}.{key}")
        if not WINDOW_PLACEHOLDER.search(text):
            raise self.fail(f"{field}.{key}", "must use the {{.window}} placeholder")
        return text.strip()

    def alerting(self, raw: object, field: str) -> Alerting:
        allowed = {"name", "labels", "annotations", "page_alert", "ticket_alert"}
        raw = self.mapping(raw, field, allowed)
        page = self.alert(raw.get("page_alert"), f"{field}.page_alert")
        ticket = self.alert(raw.get("ticket_alert"), f"{field}.ticket_alert")
        name = raw.get("name")
        if not (page.disable and ticket.disable) or name is not None:
            name = self.name(name, f"{field}.name")
        return Alerting(
            name=name or "",
            labels=self.labels(raw.get("labels"), f"{field}.labels"),
            annotations=self.labels(raw.get("annotations"), f"{field}.annotations", "annotation"),
            page=page,
            ticket=ticket,
        )

    def alert(self, raw: object, field: str) -> Alert:
        raw = self.mapping(raw or {}, field, {"disable", "labels", "annotations"})
        disable = raw.get("disable", False)
        if not isinstance(disable, bool):
            raise self.fail(f"{field}.disable", "must be true or false")
        return Alert(
            disable=disable,
            labels=self.labels(raw.get("labels"), f"{field}.labels"),
            annotations=self.labels(raw.get("annotations"), f"{field}.annotations", "annotation"),
        )
