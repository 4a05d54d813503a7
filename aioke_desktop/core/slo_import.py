"""SLOs a context defines itself, imported from Sloth or OpenSLO YAML.

The SLO page's last source: a cluster that serves no ``/api/v1/slos`` (or an empty one)
still gets error budgets when its context names spec files. Both formats become the same
:class:`SloDefinition` the control plane would serve, with Sloth's id (``service-name``), so
that Sloth's recording rules, when Prometheus has them, are found for these SLOs too.

- Sloth: ``version: prometheus/v1`` (or the ``PrometheusServiceLevel`` resource) with
  ``service`` and ``slos``, each with ``sli.events`` or ``sli.raw`` queries.
- OpenSLO v1: ``kind: SLO`` with a ``ratioMetric`` indicator (``good`` or ``bad`` over
  ``total``, Prometheus queries), ``timeWindow`` and one SLO per ``objectives`` entry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from .durations import parse_duration
from .jsonshape import Fields, ShapeError
from .slo import SloDefinition

SLOTH_PERIOD = "30d"  # Sloth's default: its spec has no period of its own
MAX_FILE_BYTES = 1_000_000
_WINDOW = "{{.window}}"
# A plain selector (``metric{labels}``), which rate() can take with a range added.
_SELECTOR = re.compile(r"^\s*[A-Za-z_:][A-Za-z0-9_:]*\s*(\{[^{}]*\})?\s*$")


class SloImportError(ValueError):
    """A spec that cannot be imported; the message is one sentence naming the file and field."""


def read_slo_files(paths: Iterable[str]) -> tuple[SloDefinition, ...]:
    """Every SLO in these files, in order (runs on a worker: it reads the disk)."""
    found: dict[str, SloDefinition] = {}
    for name in paths:
        path = Path(name).expanduser()
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise SloImportError(f"{path.name} is larger than 1 MB; it is not an SLO spec.")
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise SloImportError(f"Cannot read the SLO file {path}: {exc.strerror}.") from None
        for slo in parse_slo_yaml(text, source=path.name):
            if slo.id in found:
                raise SloImportError(f"{path.name} defines the SLO {slo.id} a second time.")
            found[slo.id] = slo
    return tuple(found.values())


def parse_slo_yaml(text: str, *, source: str = "the SLO file") -> tuple[SloDefinition, ...]:
    """The SLOs of a Sloth or OpenSLO document (several documents may share a file)."""
    try:
        documents = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise SloImportError(f"{source} is not valid YAML{where}.") from None
    slos: list[SloDefinition] = []
    for document in documents:
        try:
            slos.extend(_document(document))
        except ShapeError as exc:
            raise SloImportError(f"{source}: {exc.field} {exc.problem}.") from None
        except ValueError as exc:
            raise SloImportError(f"{source}: {exc}") from None
    if not slos:
        raise SloImportError(f"{source} defines no SLOs (Sloth or OpenSLO YAML expected).")
    return tuple(slos)


def _document(document: object) -> list[SloDefinition]:
    if not isinstance(document, Mapping):
        raise ValueError("a document is not a mapping of fields.")
    api = str(document.get("apiVersion") or "")
    if api.startswith("openslo/"):
        return _openslo(Fields(document))
    if document.get("version") == "prometheus/v1":
        return _sloth(Fields(document))
    if api.startswith("sloth.slok.dev/") and document.get("kind") == "PrometheusServiceLevel":
        return _sloth(Fields(document).obj("spec"))
    raise ValueError(
        "a document is neither Sloth (version: prometheus/v1) nor OpenSLO (apiVersion: openslo/v1)."
    )


# Sloth ---------------------------------------------------------------------------------------


def _sloth(spec: Fields) -> list[SloDefinition]:
    service = spec.text("service")
    shared = spec.labels("labels")
    slos = []
    for index, entry in enumerate(spec.objects("slos")):
        sli = entry.obj("sli")
        doc: dict[str, Any] = {
            "id": f"{service}-{entry.text('name')}",
            "service": service,
            "name": entry.text("name"),
            "description": entry.opt_text("description") or "",
            "objective": entry.number("objective"),
            "period": SLOTH_PERIOD,
            "labels": {**shared, **entry.labels("labels")},
            "sli": _stripped(sli.as_dict()),
        }
        slos.append(SloDefinition.from_json(Fields(doc, f"slos[{index}]")))
    return slos


def _stripped(value: Any) -> Any:
    """Queries without the newline a YAML block (``|``) leaves at their end."""
    if isinstance(value, Mapping):
        return {k: _stripped(v) for k, v in value.items()}
    return value.strip() if isinstance(value, str) else value


# OpenSLO -------------------------------------------------------------------------------------


def _openslo(document: Fields) -> list[SloDefinition]:
    kind = document.text("kind")
    if kind != "SLO":
        return []  # Service, SLI and AlertPolicy documents hold no SLO of their own
    name = document.obj("metadata").text("name")
    spec = document.obj("spec")
    service = spec.text("service")
    if spec.has("indicatorRef"):
        raise ValueError(f"the SLO {name} refers to a separate SLI; put its indicator inline.")
    ratio = spec.obj("indicator").obj("spec").opt_obj("ratioMetric")
    if ratio is None:
        raise ValueError(f"the SLO {name} is not a ratio of good or bad events to all events.")
    counter = ratio.boolean("counter", True)
    total = _query(ratio.obj("total"), counter)
    if ratio.has("bad"):
        errors = _query(ratio.obj("bad"), counter)
    else:
        errors = f"({total}) - ({_query(ratio.obj('good'), counter)})"
    windows = spec.objects("timeWindow", optional=True)
    period = windows[0].text("duration") if windows else SLOTH_PERIOD
    parse_duration(period)  # a duration Prometheus reads, or a plain error naming it
    objectives = spec.objects("objectives")
    slos = []
    for index, objective in enumerate(objectives):
        target = objective.number("target")
        suffix = "" if len(objectives) == 1 else f"-{objective.opt_text('displayName') or index}"
        doc = {
            "id": f"{service}-{name}{suffix}",
            "service": service,
            "name": f"{name}{suffix}",
            "description": spec.opt_text("description") or "",
            "objective": round(target * 100, 10),  # OpenSLO says 0.999 where Sloth says 99.9
            "period": period,
            "labels": {},
            "sli": {"events": {"error_query": errors, "total_query": total}},
        }
        slos.append(SloDefinition.from_json(Fields(doc, f"objectives[{index}]")))
    return slos


def _query(metric: Fields, counter: bool) -> str:
    """A windowed rate from an OpenSLO Prometheus metric source.

    A query that already says ``{{.window}}`` is kept; a counter given as a plain selector
    becomes ``sum(rate(selector[{{.window}}]))``; anything else cannot be windowed here.
    """
    source = metric.obj("metricSource")
    kind = source.opt_text("type") or "Prometheus"
    if kind.lower() != "prometheus":
        raise ValueError(f"a metric source of type {kind} is not PromQL; only Prometheus is.")
    query = source.obj("spec").text("query").strip()
    if _WINDOW in query:
        return query
    if counter and _SELECTOR.match(query):
        return f"sum(rate({query}[{_WINDOW}]))"
    raise ValueError(
        f"the query {query!r} needs a {_WINDOW} range, or must be a plain counter selector."
    )
