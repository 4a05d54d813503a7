"""Filling ``{{ params.name }}`` into a step's fields: plain substitution, nothing evaluated."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

PARAM_REFERENCE = re.compile(r"\{\{\s*params\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
# What a parameter may be when pasted into a PromQL expression: a label value or a number,
# never a quote or a brace that would change the query's meaning.
_PROMQL_SAFE = re.compile(r"[A-Za-z0-9_.:>-]*")


def references(value: Any) -> set[str]:
    """The parameter names that ``value`` (a step's raw fields) refers to."""
    if isinstance(value, str):
        return set(PARAM_REFERENCE.findall(value))
    if isinstance(value, Mapping):
        return set().union(*(references(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(references(v) for v in value))
    return set()


def substitute(value: Any, params: Mapping[str, Any], key: str = "") -> Any:
    """``value`` with every ``{{ params.name }}`` replaced; a whole-field reference keeps the
    parameter's type, one inside text becomes text. Raises ValueError on an unsafe paste."""
    if isinstance(value, Mapping):
        return {k: substitute(v, params, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, params, key) for v in value]
    if not isinstance(value, str):
        return value
    whole = PARAM_REFERENCE.fullmatch(value.strip())
    if whole:
        return params[whole.group(1)]

    def paste(match: re.Match[str]) -> str:
        pasted = params[match.group(1)]
        text = str(pasted).lower() if isinstance(pasted, bool) else str(pasted)
        if key == "expr" and not _PROMQL_SAFE.fullmatch(text):
            raise ValueError(f"parameter {match.group(1)} cannot go into a PromQL expression")
        return text

    return PARAM_REFERENCE.sub(paste, value)
