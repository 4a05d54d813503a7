"""From an alert to its remedy: the runbook its annotations name, with parameters filled.

An alert rule names its runbook in an annotation, by id or by URL::

    runbook: stop-chaos-on-service
    runbook_url: https://aioke.example/runbooks/stop-chaos-on-service?service={{ $labels.service }}

Prometheus has already expanded ``{{ $labels... }}`` by the time the app reads it. The
parameters are the URL's query, then, for each parameter the runbook's schema declares and
the query left open, the alert's label of that name (or Sloth's ``sloth_<name>``): a
``GatewayHighErrorRate`` with ``sloth_service="gateway"`` fills ``service: gateway``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

# Checked in this order; ``runbook_url`` is the name most rule sets already use.
RUNBOOK_ANNOTATIONS = ("runbook_id", "runbook", "runbook_url")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_DOCUMENT_SUFFIXES = (".md", ".html", ".htm", ".yaml", ".yml")


@dataclass(frozen=True)
class RunbookRef:
    """The runbook an alert names.

    Attributes:
        runbook_id: the id the control plane knows it by (``stop-chaos-on-service``).
        params: parameters the annotation gave explicitly (a URL's query).
        url: the annotation's URL, when it was one (opened in a browser if the cluster has
            no runbook with that id: many rule sets link to wiki pages).
    """

    runbook_id: str
    params: Mapping[str, str] = field(default_factory=dict)
    url: str | None = None


def _id_from_path(path: str) -> str:
    parts = [p for p in path.split("/") if p]
    if "runbooks" in parts and parts.index("runbooks") + 1 < len(parts):
        candidate = parts[parts.index("runbooks") + 1]
    else:
        candidate = parts[-1] if parts else ""
    for suffix in _DOCUMENT_SUFFIXES:
        candidate = candidate.removesuffix(suffix)
    return candidate


def runbook_ref(annotations: Mapping[str, str]) -> RunbookRef | None:
    """The runbook named by ``annotations``, or None when they name none."""
    for key in RUNBOOK_ANNOTATIONS:
        value = (annotations.get(key) or "").strip()
        if not value:
            continue
        parts = urlsplit(value)
        params = dict(parse_qsl(parts.query))
        if parts.scheme in ("http", "https"):
            return RunbookRef(_id_from_path(parts.path), params, value)
        runbook_id = parts.path.strip("/")
        if _ID.match(runbook_id):
            return RunbookRef(runbook_id, params)
    return None


def runbook_params(
    ref: RunbookRef, schema: Mapping[str, Any], labels: Mapping[str, str]
) -> dict[str, str]:
    """The parameters to fill in the run dialog: the annotation's own, then labels named
    like a parameter of ``schema`` (a JSON schema of an object), or ``sloth_`` + its name."""
    properties = schema.get("properties")
    names = list(properties) if isinstance(properties, Mapping) else []
    filled = {k: v for k, v in ref.params.items() if k in names}
    for name in names:
        if name in filled:
            continue
        for label in (name, f"sloth_{name}"):
            if labels.get(label):
                filled[name] = labels[label]
                break
    return filled
