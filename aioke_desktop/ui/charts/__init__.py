"""Charts on pyqtgraph: time series with change markers, linked in groups; sparklines."""

from .group import ChartGroup
from .line import Line
from .sparkline import TREND_ROLE, SparklineDelegate, trend
from .timeseries import TimeSeriesChart
from .units import Unit, format_value

__all__ = [
    "TREND_ROLE",
    "ChartGroup",
    "Line",
    "SparklineDelegate",
    "TimeSeriesChart",
    "Unit",
    "format_value",
    "trend",
]
