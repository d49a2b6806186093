"""Course charts: titled, labelled, with target lines where a target exists."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from crm_course import plots  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def dashed_levels(ax) -> list[float]:
    return [ln.get_ydata()[0] for ln in ax.get_lines() if ln.get_linestyle() == "--"]


def test_bar_has_title_labels_and_target():
    ax = plots.bar(pd.Series([0.1, 0.3], index=["a", "b"]), "Share by team", "team", "share",
                   target=0.2, percent=True, highlight=["b"])
    assert ax.get_title() == "Share by team"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("team", "share")
    assert dashed_levels(ax) == [0.2]
    assert ax.get_legend().get_texts()[0].get_text() == "target 20.0%"
    colours = [p.get_facecolor() for p in ax.patches]
    assert colours[0] != colours[1]  # the highlighted bar stands out


def test_line_draws_one_line_per_column_plus_target_and_benchmark():
    frame = pd.DataFrame({"treated": [1, 2, 3], "control": [1, 1, 1]},
                         index=pd.date_range("2025-01-01", periods=3, freq="MS"))
    ax = plots.line(frame, "Trend", "month", "value", target=2.5, benchmark=1.5,
                    event=(pd.Timestamp("2025-02-01"), "changes live"))
    solid = [ln for ln in ax.get_lines() if ln.get_linestyle() == "-"]
    assert len(solid) == 3  # two series and the event marker
    assert dashed_levels(ax) == [2.5]  # the target
    dotted = [ln.get_ydata()[0] for ln in ax.get_lines() if ln.get_linestyle() == ":"]
    assert dotted == [1.5]  # the benchmark
    series_colours = {ln.get_color() for ln in solid[:2]}
    assert plots.TARGET_COLOUR not in series_colours


def test_no_target_means_no_reference_line():
    ax = plots.bar(pd.Series([1, 2], index=["x", "y"]), "t", "x", "y", target=None)
    assert dashed_levels(ax) == [] and ax.get_legend() is None


def test_diverging_likert_centres_neutral_on_zero():
    dist = pd.DataFrame([[0.1, 0.1, 0.2, 0.3, 0.3]], index=["sales"],
                        columns=["sd", "d", "n", "a", "sa"])
    ax = plots.diverging_likert(dist, "Ease of use", "department")
    first = ax.patches[0]
    assert first.get_x() == pytest.approx(-0.3)  # 0.1 + 0.1 + 0.2 / 2 to the left
    assert len(ax.patches) == 5


def test_heatmap_annotates_every_cell():
    frame = pd.DataFrame([[1, 2], [3, 4]], index=["r1", "r2"], columns=["c1", "c2"])
    ax = plots.heatmap(frame, "Usage", "feature", "department")
    assert sorted(t.get_text() for t in ax.texts) == ["1", "2", "3", "4"]


def test_formatted_shows_percent_columns_as_text_and_rounds_the_rest():
    frame = pd.DataFrame({"rate": [0.123, None], "score": [61.234, 70.0], "n": [3, 4]})
    out = plots.formatted(frame, percent=["rate"])
    assert out["rate"].tolist() == ["12%", ""]
    assert out["score"].tolist() == [61.2, 70.0] and out["n"].tolist() == [3, 4]
    assert frame["rate"].iloc[0] == 0.123  # the original is untouched


def test_reference_labels_read_as_plain_numbers():
    ax = plots.bar(pd.Series([9000.0, 11000.0], index=["a", "b"]), "Deal size", "period",
                   "EUR", target=9500, benchmark=2.25)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["target 9,500", "benchmark 2.25"]


def test_nan_target_draws_no_line_and_no_empty_legend(recwarn):
    # an export records no targets: kpis.targets gives NaN, which must not be drawn
    ax = plots.bar(pd.Series([0.5, 0.7], index=["a", "b"]), "Rate", "team", "share",
                   target=float("nan"), percent=True)
    assert dashed_levels(ax) == [] and ax.get_legend() is None
    ax = plots.line(pd.Series([1.0, 2.0]), "Leads", "month", "leads", target=float("nan"))
    assert dashed_levels(ax) == [] and ax.get_legend() is None
    assert not [w for w in recwarn if "legend" in str(w.message)]


def test_as_text_says_missing_values_in_words():
    assert plots.as_text(0.8, "target {:.0%}", missing="no target recorded") == "target 80%"
    assert plots.as_text(float("nan"), "target {:.0%}",
                         missing="no target recorded") == "no target recorded"
    assert plots.as_text(None, "{:.1f}x the spend") == "no data"
    assert plots.as_text(pd.NA, "{:.1%}") == "no data"
    assert plots.as_text(1234.4, "{:,.0f} EUR") == "1,234 EUR"


def test_heatmap_text_is_readable_on_light_cells():
    # values 80-100 (a cohort table): the lowest cells are light, so their text is black
    # even though 80 > 0.6 x 100; only the dark end of the scale gets white text
    frame = pd.DataFrame([[100.0, 95.0], [85.0, 80.0]], index=["a", "b"], columns=["0", "1"])
    ax = plots.heatmap(frame, "Retention", "month", "cohort")
    colours = {t.get_text(): t.get_color() for t in ax.texts}
    assert colours["80"] == "black" and colours["100"] == "white"


def test_only_young_points_get_the_hollow_marker():
    # outside review: the mature month before the young one got the hollow 'still
    # maturing' marker, and a young month without a value drew nothing dashed
    import matplotlib
    import numpy as np
    import pandas as pd

    from crm_course import plots

    matplotlib.use("Agg")
    index = pd.date_range("2026-01-01", periods=4, freq="MS")
    data = pd.Series([0.1, 0.12, 0.11, 0.05], index=index, name="conversion")
    young = pd.Series([False, False, False, True], index=index)
    ax = plots.line(data, "t", "month", "share", immature=young)
    hollow = [ln for ln in ax.lines if ln.get_markerfacecolor() == "white"]
    assert len(hollow) == 1 and list(hollow[0].get_xdata()) == [index[3]]
    assert hollow[0].get_label() == "conversion (still maturing)"
    data.iloc[3] = np.nan   # no mature record at all in the young month
    ax = plots.line(data, "t", "month", "share", immature=young)
    assert not [ln for ln in ax.lines if ln.get_markerfacecolor() == "white"]


@pytest.mark.parametrize("values", [[9_000.0, 15_000.0, 12_000.0], [1.0e6, 1.2e6, 1.5e6]])
def test_money_axes_read_with_separators_and_no_offset(values):
    """Review of issue 25: the pipeline value axis read 'EUR' with '1e6' beside it and
    ticks '10000 | 15000'. Every value axis (dashboard and report charts share these
    helpers) writes '15,000' and '1,200,000', with no offset or power of ten."""
    months = pd.date_range("2025-01-01", periods=3, freq="MS")
    for ax in (plots.line(pd.Series(values, index=months), "Pipeline value", "month", "EUR"),
               plots.bar(pd.Series(values, index=["a", "b", "c"]), "Deal size", "region",
                         "EUR")):
        ax.figure.canvas.draw()
        ticks = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
        big = [t for t in ticks if float(t.replace(",", "").replace("\u2212", "-")) >= 1000]
        assert big and all("," in t for t in big), ticks
        assert ax.yaxis.get_offset_text().get_text() == ""
        assert not any("e" in t for t in ticks)
        plt.close(ax.figure)


def test_small_values_keep_the_decimals_their_ticks_need():
    ax = plots.bar(pd.Series([0.5, 1.5, -1.2], index=["a", "b", "c"]), "Change", "region",
                   "business hours")
    ax.figure.canvas.draw()
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert "0.5" in ticks and "\u22121.0" in ticks and "-0.0" not in ticks
    plt.close(ax.figure)
