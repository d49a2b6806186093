"""A KPI is one registry entry: adding one entry (no other table) makes it appear in
`kpi_table` with its value and interval-judged status, in `kpis.compute`, and in the
report with a tested comparison; and the import graph has no review -> kpis -> review
cycle."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pandas as pd
import pytest

from crm_course import kpis, load_crm, report
from crm_course.dashboard import Dashboard, measures
from crm_course.data import CRM
from crm_course.kpis import records, registry
from crm_course.kpis._common import in_period
from crm_course.kpis.verdict import causal_verdict

PACKAGE = Path(registry.__file__).parents[1]


def lost_deals(crm, first, last, by=None):
    """1/0 per deal closed in [first, last]: lost (by: `kpis.records.grouped`)."""
    o = crm.opportunities
    closed = in_period(o.close_date, first, last) & o.stage.isin(["won", "lost"]).to_numpy()
    lost = (o.stage[closed] == "lost").to_numpy(dtype=float)
    return records.grouped(crm, lost, closed, o, "owner_id", by, day="close_date")


def loss_rate(crm, start, end, *, by=None) -> float:
    """lost / (won + lost) over deals closed in the period."""
    return float(lost_deals(crm, *kpis.period(start, end)).mean())


@pytest.fixture
def with_loss_rate():
    registry.register(registry.KPI(
        "loss_rate", "sales", "lost / (won + lost), deals closed in the period", "share",
        False, None, records=lost_deals, test="share"))
    yield
    registry.unregister("loss_rate")
    assert "loss_rate" not in kpis.kpi_names()


def test_one_entry_is_enough_for_table_compute_report_and_dashboard(with_loss_rate, tmp_path):
    sample = load_crm()
    targets = sample.kpi_targets
    row = targets.iloc[:1].assign(kpi="loss_rate", baseline=0.84, target=0.2, benchmark=None,
                                  target_date=sample.meta["data_end"])  # due: judged
    crm = CRM({**sample.tables, "kpi_targets": __import__("pandas").concat([targets, row])},
              sample.meta)
    window = crm.period("review")
    table = kpis.kpi_table(crm, *window).set_index("kpi")
    expected = 1 - kpis.win_rate(crm, *window)
    assert table.loc["loss_rate", "value"] == pytest.approx(expected)
    assert table.loc["loss_rate", "status"] == "not met"  # ~80 % lost, target 20 %
    assert kpis.compute(crm, "loss_rate", *window) == pytest.approx(expected)
    rep = report.assemble(crm, "sales")
    row = next(r for r in rep.rows if r.kpi == "loss_rate")
    assert row.comparison.test == "two-proportion z-test" and row.comparison.n_after > 30
    assert "Loss rate" in row.sentence
    # the verdict on the changes, from the same records, on the report and the dashboard
    verdict = next(v for v in rep.verdicts if v.kpi == "loss_rate")
    win = causal_verdict(crm, "win_rate")
    assert verdict.effect == pytest.approx(-win.effect)  # 1 - win rate: the mirror image
    assert verdict.p_value == pytest.approx(win.p_value)
    assert "loss_rate" in measures(crm)
    app = Dashboard(crm, recent=tmp_path / "recent.json")
    assert "loss_rate" in app.explorer.table.kpi.tolist()
    app.review.kpi.value = "loss_rate"
    assert app.review.result.verdict.conclusion == verdict.conclusion


def test_an_entry_whose_value_and_records_could_drift_is_refused():
    # the outside review: replace(base, records=closed_deals) on a lost-deal-rate entry was
    # accepted and kpi_table showed 0.803 "met" beside the same value "cannot tell"; the
    # interval came from records whose mean was 0.197
    import dataclasses
    base = registry.KPI("loss_rate", "sales", "lost / closed", "share", False, None,
                        registry.USER_GROUPINGS, records=lost_deals, test="share")
    with pytest.raises(ValueError, match="records: KPI 'drift_rate' gives a value function "
                                         "and separate records.*records alone"):
        dataclasses.replace(base, name="drift_rate", func=loss_rate)
    win = registry.get_kpi("win_rate")
    with pytest.raises(ValueError, match="records: KPI 'drift_rate'"):
        registry.register(dataclasses.replace(win, name="drift_rate", records=lost_deals))
    assert "drift_rate" not in registry.REGISTRY
    with pytest.raises(ValueError, match="func: KPI 'x_rate' needs a function"):
        registry.KPI("x_rate", "sales", "x", "share", True, None, records=lost_deals)
    # a course entry takes its records from its function: one rule for both
    assert win.records is kpis.win_rate.records is records.closed_deals
    # a records-only entry: value = the records' statistic, every group, profile order
    sample = load_crm()
    window = sample.period("review")
    value = base(sample, *window, by="region")
    assert list(value.index) == list(kpis.win_rate(sample, *window, by="region").index)
    assert value.index.name == "region" and value.name == "loss_rate"
    assert (value + kpis.win_rate(sample, *window, by="region")).round(12).eq(1).all()


def imports(module: Path) -> set[str]:
    """Package modules ``module`` imports at its top level (not inside functions)."""
    tree = ast.parse(module.read_text())
    found = set()
    package = module.relative_to(PACKAGE.parent).with_suffix("").parts[:-1]
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level:
            base = list(package[: len(package) - node.level + 1])
            target = base + (node.module.split(".") if node.module else [])
            # 'from .. import inference' imports the module, not the package's __init__
            names = ([] if node.module is None else [".".join(target)]) + [
                ".".join([*target, a.name]) for a in node.names]
            found |= {n for n in names if (PACKAGE.parent / (n.replace(".", "/") + ".py"))
                      .exists() or (PACKAGE.parent / n.replace(".", "/")).is_dir()}
    # importing crm_course.kpis.sales runs crm_course.kpis' __init__ first (and its imports)
    # (its own packages are running their __init__ already: not an edge)
    parents = {n.rsplit(".", k)[0] for n in found for k in range(1, n.count("."))}
    own = {".".join(package[:k]) for k in range(1, len(package) + 1)}
    return found | (parents - own - {PACKAGE.name})


def test_no_cycle_through_review_kpis_and_the_engine():
    graph = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        graph[name.removesuffix(".__init__")] = imports(path)
    engine = ["crm_course.review", "crm_course.inference", "crm_course.kpis.evaluation",
              "crm_course.kpis.verdict", "crm_course.kpis.table"]

    def reaches(start: str, goal: str, seen: set) -> bool:
        for nxt in graph.get(start, ()):
            nxt = nxt if nxt in graph else nxt.rsplit(".", 1)[0]
            if nxt == goal:
                return True
            if nxt not in seen:
                seen.add(nxt)
                if reaches(nxt, goal, seen):
                    return True
        return False

    for module in engine:
        assert not reaches(module, module, set()), f"{module} imports itself back"
    assert not reaches("crm_course.inference", "crm_course.kpis", set())


def test_an_entry_says_whether_its_records_are_dated():
    # the finding: datedness was decided by function identity (records is active_users), so
    # an entry wrapping the active-user records was offered a panel and crashed the report
    from crm_course.kpis.panels import panel_kpis
    engaged = registry.KPI(
        "engaged_user_rate", "adoption", "users active / licensed users", "share", True,
        None,
        records=lambda crm, first, last, by=None: records.active_users(crm, first, last, by=by),
        test="share", dated=False)
    registry.register(engaged)
    try:
        assert "engaged_user_rate" not in panel_kpis()
        assert "lead_conversion_rate" in panel_kpis() and "active_user_rate" not in panel_kpis()
        sample = load_crm()
        assert kpis.compute(sample, "engaged_user_rate", *sample.period("review")) == \
            pytest.approx(kpis.compute(sample, "active_user_rate", *sample.period("review")))
    finally:
        registry.unregister("engaged_user_rate")


@pytest.mark.parametrize("matures, outcome, words", [
    (False, "", "Lost conversion rate"),
    (True, "won", "Lost conversion rate (won within 30 days)"),
    (True, "", "Lost conversion rate (records at least 30 days old)")])
def test_maturity_words_come_from_the_entry_not_the_name(matures, outcome, words):
    # the finding: kpi_words added '(won within N days)' to any name ending in
    # 'conversion_rate', whether or not its entry waits for records to mature
    registry.register(registry.KPI(
        "lost_conversion_rate", "sales", "lost / closed", "share", False, loss_rate,
        matures=matures, outcome=outcome))
    try:
        assert registry.kpi_words(load_crm(), "lost_conversion_rate") == words
    finally:
        registry.unregister("lost_conversion_rate")


def test_maturity_words_follow_the_profile_and_an_outcome_needs_matures():
    sample = load_crm()
    profile = {**sample.meta["profile"], "policies": {**sample.meta["profile"]["policies"],
                                                      "lead_maturity_days": 45}}
    crm = CRM(sample.tables, {**sample.meta, "profile": profile})
    assert registry.kpi_words(crm, "lead_conversion_rate") == \
        "Lead conversion rate (won within 45 days)"
    assert registry.kpi_words(crm, "resolution_hours") == \
        "Resolution time (records at least 45 days old; business hours, Mon-Fri 09:00-18:00)"
    assert registry.kpi_words(crm, "first_response_hours") == \
        "First response time (business hours, Mon-Fri 09:00-18:00)"
    with pytest.raises(ValueError, match="outcome.*matures=True"):
        registry.KPI("x_rate", "sales", "x", "share", True, loss_rate, outcome="won")


def test_a_kpi_with_its_own_follow_up_window_matures_on_it_not_on_the_profile():
    # the outside review: post-sale incidents (tickets within FOLLOW_UP_DAYS of an order)
    # drew its last month at 0.0 beside 4.1-4.4, unflagged: its orders had not had their
    # follow-up yet. Its entry's window_days is its own window, whatever the profile says.
    from crm_course.kpis import series
    from crm_course.kpis.service import FOLLOW_UP_DAYS

    sample = load_crm()
    profile = {**sample.meta["profile"], "policies": {**sample.meta["profile"]["policies"],
                                                      "lead_maturity_days": 45}}
    crm = CRM(sample.tables, {**sample.meta, "profile": profile})
    name = "post_sale_incidents_per_100_orders"
    assert registry.kpi_words(crm, name).endswith(f"(records at least {FOLLOW_UP_DAYS} "
                                                  "days old)")
    frame, young = series.over_time(crm, name, "2025-10-01", "2026-03-31", "month")
    assert young.tolist() == [False] * 5 + [True]  # March: orders not 30 days old yet
    last, note = kpis.engine.mature_end(crm, name, *kpis.period("2026-01-01", "2026-03-31"))
    assert last == pd.Timestamp(crm.meta["data_end"]) - pd.Timedelta(days=FOLLOW_UP_DAYS)
    assert f"younger than {FOLLOW_UP_DAYS} days" in note
    with pytest.raises(ValueError, match="window_days.*matures=True"):
        registry.KPI("x_rate", "sales", "x", "share", True, loss_rate, window_days=7)


def test_business_hours_words_follow_the_profile():
    """A duration in business hours names the profile's hours: other hours, other numbers."""
    sample = load_crm()
    policies = {**sample.meta["profile"]["policies"],
                "business_hours": {"days": "Mon-Fri", "open": 8, "close": 17}}
    crm = CRM(sample.tables, {**sample.meta, "profile": {**sample.meta["profile"],
                                                         "policies": policies}})
    assert registry.kpi_words(crm, "first_response_hours") == \
        "First response time (business hours, Mon-Fri 08:00-17:00)"


# code-like text a learner should not read: a function call ('median('), an operator between
# words ('a / b', 'x r', '1 - r', '- created'), a formula in parentheses, a letter formula
CODE_LIKE = re.compile(r"\b[a-z]+\((?!s\))|\s[/x*=+]\s|\s-\s|\(\s*\w+\s+[-+/x]\s+\w+\s*\)|"
                       r"\b[A-Z]\s+[-+/]\s+[A-Z]\b")
SNAKE = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b")


def test_the_scan_for_code_like_words_finds_the_old_formulas():
    for formula in ("median(first reply - created), business hours", "(E - N) / S",
                    "m x r / (1 + i - r), i = 10%", "won / (won + lost)"):
        assert CODE_LIKE.search(formula), formula
    assert not CODE_LIKE.search("Median time from a ticket's creation to its first reply, "
                                "in business hours (Mon-Fri 09:00-18:00).")


def test_every_kpi_says_what_it_measures_in_plain_words(sample):
    """Each entry's ``described`` (the dashboard's caption), filled from the profile, is
    words with no formula, code name or placeholder left, and names its policies'
    values: the maturity days, the business hours, the currency."""
    for k in registry.REGISTRY.values():
        text = k.explained(sample)
        assert k.described and text.endswith("."), k.name
        assert not CODE_LIKE.search(text) and not SNAKE.search(text), (k.name, text)
        assert "{" not in text and "maturity window" not in text, (k.name, text)
        if k.outcome:
            assert f"{k.outcome} within {k.maturity_days(sample)} days" in text, k.name
        if k.unit == registry.BUSINESS_HOURS:
            assert f"business hours ({sample.profile.hours_label})" in text, k.name
        if "{currency}" in k.unit:
            assert sample.profile.currency in text, k.name
