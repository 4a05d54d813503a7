"""One line of a chart, as plain data."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Line:
    """One series to draw: ``values`` has NaN for gaps, ``raw`` keeps ±Inf for readouts."""

    label: str
    times: Floats
    values: Floats
    raw: Floats
    colour: str
