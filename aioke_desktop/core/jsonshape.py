"""Reading JSON whose shape is promised but not guaranteed.

Every server answer is read through :class:`Fields`, so a wrong type or a missing key raises
:class:`ShapeError` naming the field, never a ``KeyError`` deep inside a page.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any


class ShapeError(ValueError):
    """A JSON document that does not have the expected shape.

    Attributes:
        field: the path of the offending value, such as ``steps[2].state``.
    """

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


class Fields:
    """Typed access to one JSON object.

    Args:
        data: the decoded JSON value that should be an object.
        where: the path of that value, for error messages.
    """

    def __init__(self, data: object, where: str = "body") -> None:
        if not isinstance(data, Mapping):
            raise ShapeError(where, f"expected an object, got {_kind(data)}")
        self._data: Mapping[str, Any] = data
        self._where = where

    def _path(self, key: str) -> str:
        return key if self._where == "body" else f"{self._where}.{key}"

    def has(self, key: str) -> bool:
        return self._data.get(key) is not None

    def as_dict(self) -> dict[str, Any]:
        """The whole object as a plain dict, for settings shown as they are."""
        return dict(self._data)

    def raw(self, key: str) -> Any:
        """The value as it is (any JSON), or None when absent."""
        return self._data.get(key)

    def _required(self, key: str) -> Any:
        if key not in self._data:
            raise ShapeError(self._path(key), "missing")
        return self._data[key]

    def text(self, key: str) -> str:
        value = self._required(key)
        if not isinstance(value, str):
            raise ShapeError(self._path(key), f"expected a string, got {_kind(value)}")
        return value

    def opt_text(self, key: str) -> str | None:
        return None if self._data.get(key) is None else self.text(key)

    def boolean(self, key: str, default: bool | None = None) -> bool:
        value = self._data.get(key, default) if default is not None else self._required(key)
        if not isinstance(value, bool):
            raise ShapeError(self._path(key), f"expected true or false, got {_kind(value)}")
        return value

    def integer(self, key: str, default: int | None = None) -> int:
        value = self._data.get(key, default) if default is not None else self._required(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ShapeError(self._path(key), f"expected an integer, got {_kind(value)}")
        return value

    def opt_integer(self, key: str) -> int | None:
        return None if self._data.get(key) is None else self.integer(key)

    def number(self, key: str, default: float | None = None) -> float:
        value = self._data.get(key, default) if default is not None else self._required(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ShapeError(self._path(key), f"expected a number, got {_kind(value)}")
        if not math.isfinite(value):
            raise ShapeError(self._path(key), "expected a finite number")
        return float(value)

    def opt_number(self, key: str) -> float | None:
        return None if self._data.get(key) is None else self.number(key)

    def obj(self, key: str) -> Fields:
        return Fields(self._required(key), self._path(key))

    def opt_obj(self, key: str) -> Fields | None:
        return None if self._data.get(key) is None else self.obj(key)

    def mapping(self, key: str) -> dict[str, Any]:
        """A JSON object kept as a plain dict (parameters, specs); ``{}`` when absent."""
        value = self._data.get(key)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise ShapeError(self._path(key), f"expected an object, got {_kind(value)}")
        return dict(value)

    def labels(self, key: str) -> dict[str, str]:
        """An object of strings (labels, annotations); ``{}`` when absent."""
        found = self.mapping(key)
        for name, value in found.items():
            if not isinstance(value, str):
                raise ShapeError(f"{self._path(key)}.{name}", "expected a string")
        return found

    def items(self, key: str, *, optional: bool = False) -> list[Any]:
        value = self._data.get(key) if optional else self._required(key)
        if value is None and optional:
            return []
        if not isinstance(value, list):
            raise ShapeError(self._path(key), f"expected a list, got {_kind(value)}")
        return value

    def objects(self, key: str, *, optional: bool = False) -> list[Fields]:
        """A list of objects, each as :class:`Fields` with its index in the path."""
        return [
            Fields(item, f"{self._path(key)}[{n}]")
            for n, item in enumerate(self.items(key, optional=optional))
        ]

    def texts(self, key: str, *, optional: bool = True) -> tuple[str, ...]:
        values = self.items(key, optional=optional)
        for n, item in enumerate(values):
            if not isinstance(item, str):
                raise ShapeError(f"{self._path(key)}[{n}]", "expected a string")
        return tuple(values)


def objects(data: object, where: str = "body") -> list[Fields]:
    """A top-level JSON list of objects."""
    if not isinstance(data, list):
        raise ShapeError(where, f"expected a list, got {_kind(data)}")
    return [Fields(item, f"{where}[{n}]") for n, item in enumerate(data)]
