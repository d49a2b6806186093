"""How the views show results: charts as SVG that scale with the window, tables as HTML,
readable for a room.

Charts are drawn on a stand-alone matplotlib ``Figure`` (no pyplot state, so nothing is
left open between updates) in the course style with larger type for a projector, and
shown by a `Chart` (an ``<img>`` of the SVG with alt text, as wide as its container and
never taller than the screen leaves room for); tables are plain HTML in an
``ipywidgets.HTML``; explanations sit behind a toggle (`about`).
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import ipywidgets as widgets
import matplotlib as mpl
import matplotlib.dates as mdates
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from .. import plots
from ..escape import html, no_bidi

FIGSIZE = (12.0, 5.0)  # wide: a projector screen is wider than the room left below controls
# a full-width chart (the explorer's): drawn, legend and labels included, about as wide
# against as high as the room a 1280x720 screen leaves it (1214 x 380 px), so it fills
# its box's width instead of a height-limited picture leaving a third empty; at most 1 pt
# per screen pixel there, so no text of `MIN_TEXT_PT` is smaller than 16 px
WIDE = (16.0, 4.2)
# fixed margins, room on the right for the legend: one draw per chart (no tight bbox pass)
MARGINS = {"left": 0.09, "right": 0.74, "top": 0.9, "bottom": 0.14}
MIN_TEXT_PT = 16  # every text of a chart: ticks, legends, labels and notes
PROJECTOR = {"font.size": MIN_TEXT_PT, "axes.titlesize": 20, "axes.labelsize": 17,
             "xtick.labelsize": MIN_TEXT_PT, "ytick.labelsize": MIN_TEXT_PT,
             "legend.fontsize": MIN_TEXT_PT,
             "lines.linewidth": 3, "lines.markersize": 7}
TABLE_CSS = ("<style>.crm-table{border-collapse:collapse;font-size:18px}"
             ".crm-table th,.crm-table td{padding:3px 10px;text-align:right}"
             ".crm-table td.crm-status{white-space:nowrap}"
             ".crm-table th{border-bottom:2px solid #555}"
             ".crm-table td:first-child,.crm-table th:first-child{text-align:left}"
             ".crm-met{color:#006B4F;font-weight:bold}"
             ".crm-not-met{color:#B34700;font-weight:bold}</style>")

# controls and text for a room (18 px; ipywidgets reads its sizes from these variables);
# a chart as wide as its view and at most as tall as the screen leaves below the controls
# tab labels and toggle titles: contrast 13.2:1 (WCAG AA asks 4.5:1 of text; Lab's grey
# on grey gave 3.7:1)
TAB_TEXT, TAB_BACKGROUND = "#1a1a1a", "#e0e0e0"
TAB = ".crm-view .jupyter-widgets.jupyter-widget-tab > .lm-TabBar .lm-TabBar-tab"
HEADER = ".crm-view .jupyter-widgets .jupyter-widget-Collapse-header"
CHART_ROOM_PX = 340  # title, data line, tabs, two rows of controls, a caption
CONTROLS_CSS = ("<style>body{--jp-widgets-font-size:18px;--jp-widgets-inline-height:36px;"
                "--jp-widgets-inline-label-width:130px;font-size:18px}"
                ".jupyter-widgets .widget-label, .jupyter-widgets .widget-readout,"
                ".jupyter-widgets select, .jupyter-widgets input, .jupyter-widgets button,"
                ".widget-tab > .lm-TabBar .lm-TabBar-tab, .widget-html-content,"
                ".jupyter-widgets .lm-TabBar-tabLabel{font-size:18px}"
                ".widget-tab > .lm-TabBar .lm-TabBar-tab{min-width:150px}"
                # (more specific than ipywidgets' own rule: grey of 54 % opacity)
                f"{TAB}{{color:{TAB_TEXT};background:{TAB_BACKGROUND}}}"
                f"{TAB}.lm-mod-current{{color:#000;background:#fff}}"
                # the 'About this view' toggles: ipywidgets' grey bold on grey, 3.7:1
                f"{HEADER}{{color:{TAB_TEXT};background:{TAB_BACKGROUND}}}"
                ".widget-inline-hbox.widget-hslider .widget-readout{max-width:none;flex:none}"
                ".widget-toggle-buttons .widget-toggle-button{width:auto;padding:0 14px}"
                ".crm-chart{width:100%}"
                ".crm-chart img{display:block;width:100%;height:auto;object-fit:contain;"
                "object-position:left top;"
                f"max-height:max(280px,calc(100vh - {CHART_ROOM_PX}px))}}"
                ".crm-caption{font-size:18px;margin:2px 0}"
                # ipywidgets sets an HTML widget's line height to a control's (36 px): a
                # wrapped caption or label would take twice the room it needs
                ".crm-view .widget-html>.widget-html-content{line-height:1.35}</style>")

PAD_INCHES = 0.2  # around the tight box of everything drawn
MONTH_STEPS = (1, 2, 3, 4, 6, 12)  # months between date labels, the fewest that fit
LABEL_EMS = 4.5  # a date label's width in ems ('Sep', '2026'), with the gap to the next


@contextmanager
def drawn(draw: Callable, size: tuple[float, float] = FIGSIZE) -> Iterator[Figure]:
    """The figure of the chart ``draw(ax)`` makes on a fresh axes, in the course style
    (valid inside the ``with`` block). ``size``: the figure's (width, height) in inches."""
    with mpl.rc_context():
        plots.use_course_style()
        mpl.rcParams.update(PROJECTOR)
        figure = Figure(figsize=size, dpi=100)
        figure.subplots_adjust(**MARGINS)
        ax = figure.subplots()
        draw(ax)
        _month_labels(ax)
        _percent_labels(ax)
        for text in ax.texts:  # notes drawn in a fixed small size ('changes go live'),
            text.set_fontsize(max(text.get_fontsize(), MIN_TEXT_PT))  # labels in a line's
            text.set_color(plots.text_colour(text.get_color()))  # colour: a darker shade
        yield figure


def _month_labels(ax) -> None:
    """On a date axis, labels at the first of every k-th month (k the smallest of
    `MONTH_STEPS` whose labels fit the axes' width side by side, `LABEL_EMS` each), as
    'Jan', 'Feb' ... and the year where one begins: a 21-month axis in 12 labels did not
    fit, they overlapped."""
    if not isinstance(ax.xaxis.get_major_locator(), mdates.AutoDateLocator):
        return  # not a date axis (categories, numbers), or ticks already set
    first, last = (mdates.num2date(x) for x in sorted(ax.get_xlim()))
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    width = ax.get_position().width * ax.figure.get_figwidth() * 72  # points
    em = mpl.rcParams["xtick.labelsize"]
    em = em if isinstance(em, int | float) else mpl.rcParams["font.size"]
    fits = max(int(width // (LABEL_EMS * em)), 1)
    step = next((k for k in MONTH_STEPS if months / k <= fits), MONTH_STEPS[-1])
    locator = mdates.MonthLocator(bymonth=range(1, 13, step))  # every step divides 12
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, show_offset=False))


def _percent_labels(ax) -> None:
    """A percent axis whose every tick is written as its value with no needless decimal
    (at most `MAX_DECIMALS`): '10%', '12.5%', '15%', not '15.00%' (matplotlib's automatic
    choice kept two) nor '12%' for a tick at 12.5 % (decimals from the step's size gave)."""
    axis = ax.yaxis
    formatter = axis.get_major_formatter()
    if not isinstance(formatter, PercentFormatter) or formatter.decimals is not None:
        return
    ticks = axis.get_majorticklocs() * 100 / formatter.xmax
    if len(ticks) < 2:
        return
    decimals = next((d for d in range(MAX_DECIMALS + 1)
                     if all(abs(round(t, d) - t) < 1e-6 for t in ticks)), MAX_DECIMALS)
    scale = 100 / formatter.xmax

    def label(x, _position) -> str:
        text = f"{round(x * scale, decimals) + 0.0:.{decimals}f}"  # + 0.0: no '-0%'
        return (text.rstrip("0").rstrip(".") if "." in text else text) + "%"
    axis.set_major_formatter(FuncFormatter(label))


MAX_DECIMALS = 3  # a percent tick's decimals at most (ticks at 0.125 % steps)


def chart_svg(draw: Callable, size: tuple[float, float] = FIGSIZE) -> bytes:
    """SVG of the chart ``draw(ax)`` makes (`drawn`), cut to the tight box of everything
    drawn plus `PAD_INCHES`: legends and labels whole. Text stays text (smaller, sharp at
    any size); no date in the file (same chart, same bytes). ``size``: the figure's (width,
    height) in inches before the cut."""
    buffer = io.BytesIO()
    with drawn(draw, size) as figure, mpl.rc_context({"svg.fonttype": "none",
                                                      "svg.hashsalt": "crm"}):
        figure.savefig(buffer, format="svg", bbox_inches="tight", pad_inches=PAD_INCHES,
                       metadata={"Date": None})
    return buffer.getvalue()


class Chart(widgets.HTML):
    """A chart on the page: the SVG of a drawing in an ``<img>`` with alt text.

    State: ``svg`` (the bytes shown, empty when none) and ``alt`` (the chart in words).
    ``size``: the figure's (width, height) in inches when `show` is given none.
    """

    def __init__(self, size: tuple[float, float] = FIGSIZE, **kwargs):
        super().__init__(**kwargs)
        self.add_class("crm-chart")
        self.svg, self.alt, self.size = b"", "", size

    def show(self, draw: Callable, alt: str, size: tuple[float, float] | None = None) -> None:
        """Draw ``draw(ax)`` and show it, described by ``alt``. ``size``: the figure's (width,
        height) in inches (None: the chart's own, ``self.size``)."""
        self.svg, self.alt = chart_svg(draw, size or self.size), alt
        data = base64.b64encode(self.svg).decode("ascii")
        self.value = (f'<img role="img" alt="{html(alt)}" title="{html(alt)}" '
                      f'src="data:image/svg+xml;base64,{data}">')

    def clear(self) -> None:
        """Show no chart."""
        self.svg, self.alt, self.value = b"", "", ""


def about(title: str, body_html: str) -> widgets.Accordion:
    """``body_html`` (explanations, learning objectives) behind a toggle, closed. ``title``: the
    toggle's label."""
    box = widgets.Accordion(children=[widgets.HTML(f"<div style='font-size:18px;"
                                                   f"max-width:70em'>{body_html}</div>")],
                            titles=(title,), selected_index=None)
    box.add_class("crm-about")
    return box


# a status and its colour class (a projection's "meets" like a measured "met")
COLOURED = {"met": "met", "not met": "not-met", "meets": "met", "misses": "not-met"}


def table_html(frame: pd.DataFrame, status: str | None = None) -> str:
    """``frame`` as a large-type HTML table; the ``status`` column coloured met / not met."""
    rows = []
    for _, row in frame.iterrows():
        cells = []
        for column, value in row.items():
            text = html(value)
            colour = COLOURED.get(value) if column == status else None
            if colour:
                text = f'<span class="crm-{colour}">{text}</span>'
            # a status in one line ('cannot tell'): the names beside it wrap instead
            cells.append(f'<td class="crm-status">{text}</td>' if column == status
                         else f"<td>{text}</td>")
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
        self.add_class("crm-view")
        self.add_class(f"crm-{name}")  # for the browser tests and their screenshots
        self._describe = describe

    def __repr__(self) -> str:
        return no_bidi(self._describe())  # dataset names, e.g. the company's

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = repr(self)
        return bundle
