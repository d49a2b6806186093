"""How the views show results: charts as PNG bytes, tables as HTML, readable for a room.

Charts are drawn on a stand-alone matplotlib ``Figure`` (no pyplot state, so nothing is
left open between updates) in the course style with larger type for a projector, and
shown in an ``ipywidgets.Image``; tables are plain HTML in an ``ipywidgets.HTML``.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import ipywidgets as widgets
import matplotlib as mpl
import pandas as pd
from matplotlib.figure import Figure

from .. import plots
from ..escape import html

FIGSIZE = (10.0, 4.8)
# fixed margins, room on the right for the legend: one draw per chart (no tight bbox pass)
MARGINS = {"left": 0.09, "right": 0.74, "top": 0.9, "bottom": 0.14}
PROJECTOR = {"font.size": 14, "axes.titlesize": 18, "axes.labelsize": 15,
             "xtick.labelsize": 13, "ytick.labelsize": 13, "legend.fontsize": 13,
             "lines.linewidth": 2.5}
TABLE_CSS = ("<style>.crm-table{border-collapse:collapse;font-size:17px}"
             ".crm-table th,.crm-table td{padding:4px 12px;text-align:right}"
             ".crm-table th{border-bottom:2px solid #555}"
             ".crm-table td:first-child,.crm-table th:first-child{text-align:left}"
             ".crm-met{color:#009E73;font-weight:bold}"
             ".crm-not-met{color:#D55E00;font-weight:bold}</style>")

# controls as large as the charts' text on screen (14 pt at 100 dpi, shown at ~0.9x: ~17 px);
# ipywidgets reads its sizes from these variables
CONTROLS_CSS = ("<style>body{--jp-widgets-font-size:17px;--jp-widgets-inline-height:34px;"
                "--jp-widgets-inline-label-width:120px}"
                ".jupyter-widgets .widget-label, .jupyter-widgets .widget-readout,"
                ".jupyter-widgets select, .jupyter-widgets input, .jupyter-widgets button,"
                ".widget-tab > .lm-TabBar .lm-TabBar-tab{font-size:17px}"
                ".widget-inline-hbox.widget-hslider .widget-readout{max-width:none;flex:none}"
                ".widget-toggle-buttons .widget-toggle-button{width:auto;padding:0 14px}"
                ".widget-vbox > .widget-image{align-self:flex-start;max-width:100%;"
                "height:auto}</style>")  # charts at their own size, never stretched


PAD_INCHES = 0.2  # around the tight box of everything drawn


@contextmanager
def drawn(draw: Callable, size: tuple[float, float] = FIGSIZE) -> Iterator[Figure]:
    """The figure of the chart ``draw(ax)`` makes on a fresh axes, in the course style
    (valid inside the ``with`` block)."""
    with mpl.rc_context():
        plots.use_course_style()
        mpl.rcParams.update(PROJECTOR)
        figure = Figure(figsize=size, dpi=100)
        figure.subplots_adjust(**MARGINS)
        draw(figure.subplots())
        yield figure


def chart_png(draw: Callable, size: tuple[float, float] = FIGSIZE) -> bytes:
    """PNG of the chart ``draw(ax)`` makes (`drawn`), cut to the tight box of everything
    drawn plus `PAD_INCHES`: legends and labels whole."""
    buffer = io.BytesIO()
    with drawn(draw, size) as figure:
        figure.savefig(buffer, format="png", bbox_inches="tight", pad_inches=PAD_INCHES)
    return buffer.getvalue()


def number(value: float, unit: str) -> str:
    """A KPI value as a person reads it: shares as percentages, others with 3 figures."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if unit == "share":
        return f"{value:.1%}"
    return f"{value:,.1f}" if abs(value) >= 10 else f"{value:,.2f}"


def table_html(frame: pd.DataFrame, status: str | None = None) -> str:
    """``frame`` as a large-type HTML table; the ``status`` column coloured met / not met."""
    rows = []
    for _, row in frame.iterrows():
        cells = []
        for column, value in row.items():
            text = html(value)
            if column == status and value in ("met", "not met"):
                text = f'<span class="crm-{value.replace(" ", "-")}">{text}</span>'
            cells.append(f"<td>{text}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    head = "".join(f"<th>{html(c)}</th>" for c in frame.columns)
    return (f'{TABLE_CSS}<table class="crm-table"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")


class Panel(widgets.VBox):
    """A view's box of widgets whose text form is the view's own summary.

    Notebooks store a widget's text form next to its view; the summary (what the view
    shows now) is deterministic, unlike the default repr, which lists image bytes. Its
    first child is the style sizing the controls (`CONTROLS_CSS`).
    """

    def __init__(self, children, describe: Callable[[], str], name: str = "view", **kwargs):
        super().__init__([widgets.HTML(CONTROLS_CSS), *children], **kwargs)
        self.add_class(f"crm-{name}")  # for the browser tests and their screenshots
        self._describe = describe

    def __repr__(self) -> str:
        return self._describe()

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = self._describe()
        return bundle
