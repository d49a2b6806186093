"""The course's charts: one style, a colour-blind-safe palette, titles and labels always.

Every helper takes a title and axis labels (required), draws a target or benchmark
line where one is given, and returns the matplotlib ``Axes`` it drew on. Figure sizes
are fixed so notebook outputs are identical on every machine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import PercentFormatter

# Okabe & Ito (2008): distinguishable with every common colour-vision deficiency. Black is
# kept for targets (dashed) and grey for benchmarks (dotted), so no series looks like one.
# The most contrasting first; the pale yellow last (weak on white, on a projector).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442")
TARGET_COLOUR = "#000000"
BENCHMARK_COLOUR = "#666666"
TEXT_CONTRAST = 4.5  # WCAG AA: the least contrast of normal-size text on its background
FIGSIZE = (8.0, 4.0)
# diverging scale for Likert answers: disagree (vermillion) .. agree (blue)
LIKERT_COLOURS = ("#D55E00", "#F4A582", "#D9D9D9", "#92C5DE", "#0072B2")


STYLE = {
    "figure.figsize": FIGSIZE, "figure.dpi": 100, "savefig.dpi": 100,
    "axes.prop_cycle": mpl.cycler(color=PALETTE), "axes.titlesize": 13,
    "axes.titleweight": "bold", "axes.titlelocation": "left", "axes.labelsize": 11,
    "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True,
    "grid.alpha": 0.3, "legend.frameon": False, "font.size": 10,
}


def use_course_style() -> None:
    """Apply the course's matplotlib style (palette, sizes, light grid, no top/right spines)."""
    mpl.rcParams.update(STYLE)


def course_style():
    """The course's style for the charts drawn inside a ``with`` block only."""
    return mpl.rc_context(STYLE)


def contrast(colour, background: str = "#ffffff") -> float:
    """WCAG contrast ratio of ``colour`` on ``background`` (matplotlib colours):
    (L1 + 0.05) / (L2 + 0.05), L1 >= L2 the two relative luminances."""
    def luminance(c) -> float:
        rgb = np.array(mpl.colors.to_rgb(c))
        linear = np.where(rgb <= 0.03928, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
        return float(linear @ [0.2126, 0.7152, 0.0722])
    high, low = sorted((luminance(colour), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def text_colour(colour) -> str:
    """``colour`` for text on white: itself when its contrast reaches `TEXT_CONTRAST`, else
    the lightest darker shade of the same hue that does (its RGB x 0.95, 0.90 ...): the
    palette's orange #D55E00 (3.9:1) writes as #B45000. A line keeps the palette colour."""
    rgb = np.array(mpl.colors.to_rgb(colour))
    for step in range(21):
        shade = mpl.colors.to_hex(rgb * (1 - step / 20))
        if contrast(shade) >= TEXT_CONTRAST:
            return shade
    return "#000000"  # not reached: black has 21:1


def _axes(ax):
    if ax is None:
        _, ax = plt.subplots(figsize=FIGSIZE)
    return ax


class Plain(mpl.ticker.ScalarFormatter):
    """A value axis's ticks as people write numbers: thousands separators, no offset and no
    power of ten beside the axis ('15,000', '1,200,000', '0.5'; never '1e6' or '10000');
    the decimals matplotlib would choose for the ticks' spacing."""

    def __init__(self):
        super().__init__(useOffset=False)
        self.set_scientific(False)

    def __call__(self, x, pos=None) -> str:
        decimals = len(super().__call__(x, pos).partition(".")[2])
        return self.fix_minus(f"{x + 0.0:,.{decimals}f}")  # + 0.0: no '-0'


def _label(ax, title: str, xlabel: str, ylabel: str, percent: bool, axis: str = "y"):
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(
        PercentFormatter(1.0) if percent else Plain())


def reference_line(ax, value: float | None, label: str, colour: str = TARGET_COLOUR,
                   axis: str = "y", linestyle: str = "--") -> None:
    """A horizontal (or vertical) line for a target (dashed) or benchmark, with its
    ``label``. ``ax``: the axes; ``value``: where (None or NaN: no line); ``colour``,
    ``linestyle``: matplotlib's; ``axis``: "y" for a horizontal line, "x" for a vertical
    one."""
    if not _given(value):
        return
    line = ax.axhline if axis == "y" else ax.axvline
    line(value, color=colour, linestyle=linestyle, linewidth=1.5, label=label)


def bar(values: pd.Series, title: str, xlabel: str, ylabel: str, *, target: float | None = None,
        benchmark: float | None = None, percent: bool = False, horizontal: bool = False,
        highlight: Sequence | None = None, ax=None):
    """Bar chart of a Series; ``highlight`` labels get the accent colour. ``values``: one bar per
    label; ``title``, ``xlabel``, ``ylabel``: the chart's texts; ``target``, ``benchmark``:
    reference lines (None: none); ``percent``: value axis in percent; ``horizontal``: bars across;
    ``ax``: the axes (None: a new figure)."""
    ax = _axes(ax)
    colours = [PALETTE[1] if highlight is not None and k in highlight else PALETTE[0]
               for k in values.index]
    labels = [str(k) for k in values.index]
    axis = "x" if horizontal else "y"
    if horizontal:
        ax.barh(labels, values.to_numpy(dtype=float), color=colours)
        ax.invert_yaxis()
        ax.grid(axis="y", visible=False)
    else:
        ax.bar(labels, values.to_numpy(dtype=float), color=colours)
        ax.grid(axis="x", visible=False)
    reference_line(ax, target, f"target {_fmt(target, percent)}", axis=axis)
    reference_line(ax, benchmark, f"benchmark {_fmt(benchmark, percent)}", BENCHMARK_COLOUR,
                   axis=axis, linestyle=":")
    _label(ax, title, xlabel, ylabel, percent, axis)
    if _given(target) or _given(benchmark):
        ax.legend(loc="best")
    return ax


def line(data: pd.Series | pd.DataFrame, title: str, xlabel: str, ylabel: str, *,
         target: float | None = None, benchmark: float | None = None, percent: bool = False,
         event: tuple[pd.Timestamp, str] | None = None, immature: pd.Series | None = None,
         flagged: str = "still maturing", written: Callable[[float], str] | None = None,
         ax=None):
    """Line chart over time, one line per column; ``event`` = (date, label) marks a change.

    ``immature``: booleans on the same index, True for points whose records are too young
    to show their outcome (leads still open); they are drawn dashed with hollow markers
    and the legend says ``flagged`` ("still maturing"; a period the data's start cuts is
    named by `kpis.series.flag_label`), so a young month never reads as a collapse.
    ``data``: values by date; ``title``, ``xlabel``, ``ylabel``: the chart's texts; ``target``,
    ``benchmark``: reference lines (None: none); ``percent``: value axis in percent;
    ``written``: writes a reference line's value with its unit, as the report does
    ('target 68.0 points'; None: the bare figure); ``ax``: the axes (None: a new figure).
    """
    ax = _axes(ax)
    frame = data.to_frame() if isinstance(data, pd.Series) else data
    young = (np.zeros(len(frame), dtype=bool) if immature is None
             else immature.reindex(frame.index).fillna(False).to_numpy(dtype=bool))
    for i, column in enumerate(frame.columns):
        values = frame[column].to_numpy(dtype=float)
        colour = PALETTE[i % len(PALETTE)]
        ax.plot(frame.index[~young], values[~young], marker="o", markersize=3,
                color=colour, label=str(column))
        shown = young & np.isfinite(values)   # a month with no mature record has no point
        if shown.any():
            start = max(int(np.argmax(young)) - 1, 0)  # join the dashes to the last mature point
            ax.plot(frame.index[start:], values[start:], linestyle="--", color=colour)
            ax.plot(frame.index[shown], values[shown], linestyle="none", marker="o",
                    markersize=4, markerfacecolor="white", color=colour,
                    label=f"{column} ({flagged})")
    reference_line(ax, target, f"target {_fmt(target, percent, written)}")
    reference_line(ax, benchmark, f"benchmark {_fmt(benchmark, percent, written)}",
                   BENCHMARK_COLOUR, linestyle=":")
    if event is not None:
        ax.axvline(pd.Timestamp(event[0]), color=BENCHMARK_COLOUR, linewidth=1)
        ax.annotate(event[1], (pd.Timestamp(event[0]), 1), xycoords=("data", "axes fraction"),
                    xytext=(-4, -12), textcoords="offset points", ha="right", fontsize=9)
    _label(ax, title, xlabel, ylabel, percent)
    labelled = ax.get_legend_handles_labels()[0]   # none when every series is empty
    if labelled and (len(frame.columns) > 1 or _given(target) or _given(benchmark)
                     or young.any()):
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return ax


def intervals(frame: pd.DataFrame, title: str, xlabel: str, ylabel: str, *,
              target: float | None = None, benchmark: float | None = None,
              written: Callable[[float], str] | None = None, ax=None):
    """Separate measurements as points with their intervals (columns ``mean``, ``low``,
    ``high``, one row per measurement, labelled by the index): no line joins them, since
    nothing was measured in between (two survey waves are two points, not a trend).
    ``frame``: the measurements; ``title``, ``xlabel``, ``ylabel``: the chart's texts;
    ``target``, ``benchmark``: reference lines (None: none); ``written``: writes a reference
    line's value with its unit (None: the bare figure); ``ax``: the axes (None: a new
    figure)."""
    ax = _axes(ax)
    labels = [str(i) for i in frame.index]
    mean = frame["mean"].to_numpy(dtype=float)
    err = np.vstack([mean - frame["low"].to_numpy(dtype=float),
                     frame["high"].to_numpy(dtype=float) - mean])
    ax.errorbar(range(len(frame)), mean, yerr=err, fmt="o", capsize=6, markersize=7,
                color=PALETTE[0], label="mean with 95% interval")
    ax.set_xticks(range(len(frame)), labels)
    ax.set_xlim(-0.5, len(frame) - 0.5)
    reference_line(ax, target, f"target {_fmt(target, False, written)}")
    reference_line(ax, benchmark, f"benchmark {_fmt(benchmark, False, written)}",
                   BENCHMARK_COLOUR, linestyle=":")
    _label(ax, title, xlabel, ylabel, False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return ax


def heatmap(frame: pd.DataFrame, title: str, xlabel: str, ylabel: str, *, fmt: str = "{:.0f}",
            cmap: str = "Blues", ax=None):
    """Annotated heatmap of a table (rows x columns). ``frame``: the values; ``title``, ``xlabel``,
    ``ylabel``: the chart's texts; ``fmt``: each cell's format; ``cmap``: matplotlib colour map;
    ``ax``: the axes (None: a new figure)."""
    ax = _axes(ax)
    values = frame.to_numpy(dtype=float)
    image = ax.imshow(values, cmap=cmap, aspect="auto")
    ax.set_xticks(range(frame.shape[1]), [str(c) for c in frame.columns], rotation=45,
                  ha="right")
    ax.set_yticks(range(frame.shape[0]), [str(i) for i in frame.index])
    ax.grid(False)
    for (r, c), v in np.ndenumerate(values):
        if not np.isnan(v):  # white text only on the dark end of the colour scale
            ax.text(c, r, fmt.format(v), ha="center", va="center", fontsize=8,
                    color="white" if image.norm(v) > 0.6 else "black")
    ax.figure.colorbar(image, ax=ax, fraction=0.03)
    _label(ax, title, xlabel, ylabel, False)
    return ax


def diverging_likert(distribution: pd.DataFrame, title: str, ylabel: str, ax=None):
    """Diverging stacked bars: disagreement left of zero, agreement right, neutral centred.

    ``distribution``: rows = groups, five columns = shares of answers 1..5 (rows sum to 1).
    ``title``, ``ylabel``: the chart's texts; ``ax``: the axes (None: a new figure).
    """
    ax = _axes(ax)
    shares = distribution.to_numpy(dtype=float)
    left = -(shares[:, 0] + shares[:, 1] + shares[:, 2] / 2)
    labels = [str(i) for i in distribution.index]
    for k, column in enumerate(distribution.columns):
        ax.barh(labels, shares[:, k], left=left, color=LIKERT_COLOURS[k], label=str(column))
        left = left + shares[:, k]
    ax.axvline(0, color="black", linewidth=0.8)
    ax.invert_yaxis()
    ax.set_xlim(-1, 1)
    ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda x, _: f"{abs(x):.0%}"))
    ax.grid(axis="y", visible=False)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=5)
    _label(ax, title, "share of answers (disagree left, agree right)", ylabel, False)
    return ax


def _given(value) -> bool:
    """A target or benchmark to draw: not None and not NaN (an export records none)."""
    return value is not None and not pd.isna(value)


def as_text(value, template: str = "{}", missing: str = "no data") -> str:
    """``template.format(value)``, or the words ``missing`` when ``value`` is None or NaN.

    For printing a KPI or a target that a dataset may lack, in words instead of 'nan%':
    ``as_text(target, "target {:.0%}", missing="no target recorded")``.
    """
    return missing if value is None or pd.isna(value) else template.format(value)


def _fmt(value: float | None, percent: bool,
         written: Callable[[float], str] | None = None) -> str:
    if value is None:
        return ""
    if written is not None:
        return written(value)
    if percent:
        return f"{value:.1%}"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def formatted(data: pd.DataFrame | pd.Series, percent: Sequence[str] = (),
              decimals: int = 1) -> pd.DataFrame:
    """A copy for display: ``percent`` columns as '12%' text, other numbers rounded; a value
    that rounds to zero is shown as 0, never -0 (-0.0004 at 3 decimals: 0.000, not -0.000).

    Plain values (no Styler objects), so notebook outputs are identical on every machine.
    ``data``: the table; ``decimals``: digits the other numbers keep.
    """
    frame = data.to_frame() if isinstance(data, pd.Series) else data.copy()
    for column in frame.columns:
        if column in percent:
            frame[column] = frame[column].map(
                lambda v: "" if pd.isna(v) else f"{round(v * 100) + 0:.0f}%")
        elif pd.api.types.is_float_dtype(frame[column]):
            frame[column] = frame[column].round(decimals) + 0.0  # -0.0 + 0.0 is 0.0
    return frame
