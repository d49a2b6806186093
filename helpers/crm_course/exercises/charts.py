"""Describe a matplotlib figure as a small dict: kind, labels, each data series with its
label and values, the legend's entries, and horizontal / vertical reference lines.

Duck-typed on the figure's objects, so this module imports nothing from matplotlib;
the description is what gets recorded and judged (and re-judged by the grader).
Colours are not recorded: a chart is judged by what it shows, not how it is painted.
"""

from __future__ import annotations

import numpy as np


def is_figure(value) -> bool:
    """Whether ``value`` looks like a matplotlib Figure (has axes, savefig and suptitle)."""
    return hasattr(value, "axes") and hasattr(value, "savefig") and hasattr(value, "suptitle")


def _floats(values) -> list[float]:
    try:
        arr = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError):
        return []
    return [float(v) for v in arr]


def _constant(values) -> float | None:
    arr = np.asarray(_floats(values))
    if arr.size >= 2 and np.all(arr == arr[0]):
        return float(arr[0])
    return None


def _label(artist) -> str:
    label = str(artist.get_label() or "")
    return "" if label.startswith("_") else label


def _reference_lines(ax) -> tuple[list[float], list[float], list]:
    """Horizontal and vertical reference lines, and the remaining (data) lines."""
    horizontal, vertical, data = [], [], []
    for line in ax.get_lines():
        y, x = _constant(line.get_ydata(orig=False)), _constant(line.get_xdata(orig=False))
        if y is not None and x is None:
            horizontal.append(y)
        elif x is not None and y is None:
            vertical.append(x)
        else:
            data.append(line)
    for coll in getattr(ax, "collections", []):
        if type(coll).__name__ == "LineCollection":  # ax.hlines / ax.vlines
            for seg in coll.get_segments():
                if len(seg) == 2 and seg[0][1] == seg[1][1]:
                    horizontal.append(float(seg[0][1]))
                elif len(seg) == 2 and seg[0][0] == seg[1][0]:
                    vertical.append(float(seg[0][0]))
    return horizontal, vertical, data


def describe_axes(ax) -> dict:
    """``kind``, ``title``, axis labels, ``series`` (``label``, ``values``, ``x``),
    ``legend`` (entries, or None without a legend), ``value_lines`` (reference lines
    across the value axis: targets) and ``position_lines`` (lines at a position on the
    other axis: a go-live date). ``ax``: a matplotlib Axes."""
    containers = [c for c in getattr(ax, "containers", []) if type(c).__name__ == "BarContainer"]
    horizontal, vertical, lines = _reference_lines(ax)
    scatters = [c for c in getattr(ax, "collections", []) if type(c).__name__ == "PathCollection"]
    wedges = [p for p in ax.patches if type(p).__name__ == "Wedge"]
    if containers:
        barh = getattr(containers[0], "orientation", "vertical") == "horizontal"
        kind = "barh" if barh else "bar"
        series = [{"label": _label(c),
                   "values": [float(p.get_width() if barh else p.get_height())
                              for p in c.patches],
                   "x": [float(p.get_y() if barh else p.get_x()) for p in c.patches]}
                  for c in containers]
    elif lines:
        kind = "line"
        series = [{"label": _label(line), "values": _floats(line.get_ydata(orig=False)),
                   "x": _floats(line.get_xdata(orig=False))} for line in lines]
    elif scatters:
        kind = "scatter"
        series = [{"label": _label(c), "values": _floats(np.asarray(c.get_offsets())[:, 1:]),
                   "x": _floats(np.asarray(c.get_offsets())[:, :1])} for c in scatters]
    elif wedges:
        kind, series = "pie", [{"label": "", "values": [], "x": []}]
    else:
        kind, series = "empty", []
    legend = ax.get_legend()
    title = ax.get_title() or ax.get_title("left") or ax.get_title("right")
    if kind == "barh":  # the reference line of a horizontal bar chart is vertical
        horizontal, vertical = vertical, horizontal
    return {"kind": kind, "title": title, "xlabel": ax.get_xlabel(), "ylabel": ax.get_ylabel(),
            "series": series, "value_lines": horizontal, "position_lines": vertical,
            "legend": None if legend is None else [t.get_text() for t in legend.get_texts()]}


def describe_figure(fig) -> dict:
    """``{"type": "figure", "suptitle": ..., "axes": [describe_axes(ax), ...]}``; a legend
    drawn on the figure (``fig.legend()``) counts for every axes."""
    sup = getattr(fig, "_suptitle", None)
    axes = [describe_axes(ax) for ax in fig.axes]
    fig_legends = [t.get_text() for lg in getattr(fig, "legends", []) for t in lg.get_texts()]
    if fig_legends:
        for ax in axes:
            ax["legend"] = (ax["legend"] or []) + fig_legends
    return {"type": "figure", "suptitle": sup.get_text() if sup is not None else "",
            "axes": axes}
