"""Describe a matplotlib figure as a small dict (kind, labels, series, target lines).

Duck-typed on the figure's objects, so this module imports nothing from matplotlib;
the description is what gets recorded and judged (and re-judged by the grader).
"""

from __future__ import annotations

import numpy as np


def is_figure(value) -> bool:
    return hasattr(value, "axes") and hasattr(value, "savefig") and hasattr(value, "suptitle")


def _constant(values) -> float | None:
    arr = np.asarray(values, dtype=float)
    if arr.size >= 2 and np.all(arr == arr[0]):
        return float(arr[0])
    return None


def describe_axes(ax) -> dict:
    containers = [c for c in getattr(ax, "containers", []) if type(c).__name__ == "BarContainer"]
    bars = [p for c in containers for p in c.patches]
    orientation = getattr(containers[0], "orientation", None) if containers else None
    if orientation is None and bars:
        orientation = "vertical"
    lines = list(ax.get_lines())
    h_targets, v_targets, series = [], [], []
    for line in lines:
        y, x = _constant(line.get_ydata(orig=False)), _constant(line.get_xdata(orig=False))
        if y is not None and x is None:
            h_targets.append(y)
        elif x is not None and y is None:
            v_targets.append(x)
        else:
            series.append(line)
    for coll in getattr(ax, "collections", []):
        if type(coll).__name__ == "LineCollection":
            for seg in coll.get_segments():
                if len(seg) == 2 and seg[0][1] == seg[1][1]:
                    h_targets.append(float(seg[0][1]))
                elif len(seg) == 2 and seg[0][0] == seg[1][0]:
                    v_targets.append(float(seg[0][0]))
    scatters = [c for c in getattr(ax, "collections", []) if type(c).__name__ == "PathCollection"]
    wedges = [p for p in ax.patches if type(p).__name__ == "Wedge"]
    if bars:
        kind = "barh" if orientation == "horizontal" else "bar"
        n_series = len(containers)
        values = [float(p.get_width() if kind == "barh" else p.get_height())
                  for p in containers[0].patches]
    elif series:
        kind, n_series = "line", len(series)
        values = [float(v) for v in np.asarray(series[0].get_ydata(orig=False), dtype=float)]
    elif scatters:
        kind, n_series, values = "scatter", len(scatters), []
    elif wedges:
        kind, n_series, values = "pie", 1, []
    else:
        kind, n_series, values = "empty", 0, []
    title = ax.get_title() or ax.get_title("left") or ax.get_title("right")
    return {"kind": kind, "title": title, "xlabel": ax.get_xlabel(),
            "ylabel": ax.get_ylabel(), "n_series": n_series, "values": values,
            "target_lines": h_targets if kind != "barh" else v_targets}


def describe_figure(fig) -> dict:
    """``{"type": "figure", "suptitle": ..., "axes": [describe_axes(ax), ...]}``."""
    sup = getattr(fig, "_suptitle", None)
    return {"type": "figure", "suptitle": sup.get_text() if sup is not None else "",
            "axes": [describe_axes(ax) for ax in fig.axes]}
