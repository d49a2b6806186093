"""The generated sentences of the lessons checked against the numbers printed beside them.

`claim_tests` executes every lesson of ``LESSONS`` with papermill on a set of datasets
(generated seeds, imported fixture exports; once per session, see notebook_runs.py);
`check` reads the text outputs of one run
and applies every checker of that lesson plus the common ones. A checker finds a
sentence by a regular expression, re-derives its verdict from the numbers in the same
run (the sentence's own numbers or the table printed next to it) and returns one line
per disagreement. A lesson run on the sample company must match at least
``MIN_CLAIMS`` sentences, so a reworded lesson cannot silently turn a checker off.

To cover another lesson, add its file stem to ``LESSONS``: the common checkers then run on
it; its own checkers (``CHECKERS``) and minimum (``MIN_CLAIMS``) are optional.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest
from notebook_runs import SAMPLE

from crm_course.runner import ROOT

# 00 holds no data-dependent sentence (the course's story in general terms), so it is not run
LESSONS = ["01_collect_usage_data", "02_analyse_kpis", "03_gather_feedback",
           "04_implement_changes", "05_review_after_three_months", "06_report"]
NUMBER = r"[-+]?\d[\d,]*(?:\.\d+)?"


def num(text: str) -> float:
    return float(text.replace(",", ""))


def outputs(path: Path) -> str:
    """Every text output of an executed notebook, one after the other."""
    nb = nbformat.read(path, as_version=4)
    texts = []
    for cell in nb.cells:
        for out in cell.get("outputs", ()):
            text = out.get("text") or out.get("data", {}).get("text/plain", "")
            texts.append("".join(text) if isinstance(text, list) else text)
    return "\n".join(texts)


# --------------------------------------------------------------------------- checkers
# each returns (claims found, problems)

Checker = Callable[[str], tuple[int, list[str]]]


def verdicts_follow_p(text: str) -> tuple[int, list[str]]:
    """'unlikely to be chance alone' exactly when p < 0.05; never 'p = 0.000'."""
    problems = ["'p = 0.000' printed: write 'p < 0.001'"] if "p = 0.000" in text else []
    found = re.findall(r"(p [=<] " + NUMBER + r")[^:\n]*: (unlikely to be chance alone|"
                       r"could well be chance)", text)
    for p_text, verdict in found:
        p = num(p_text.split()[-1]) - (1e-9 if "<" in p_text else 0)
        if (p < 0.05) != (verdict == "unlikely to be chance alone"):
            problems.append(f"{p_text} but '{verdict}'")
    return len(found) + 1, problems


def low_login_weeks_inside_the_data(text: str) -> tuple[int, list[str]]:
    """01: every low-login week listed starts on or after the first day analysed."""
    period = re.search(r"Period analysed: .*?(\d\d \w{3} \d{4}) to", text)
    table = re.search(r"Weeks with at least 20% fewer.*?\n(.*?)(?:\n\n|\Z)", text, re.S)
    if not (period and table):
        return 0, []
    import pandas as pd

    start = pd.Timestamp(period.group(1))
    weeks = [pd.Timestamp(d) for d in re.findall(r"^(\d{4}-\d\d-\d\d)", table.group(1), re.M)]
    return 1, [f"low-login week {w:%Y-%m-%d} before the data starts ({start:%Y-%m-%d})"
               for w in weeks if w < start]


def lagging_team(text: str) -> tuple[int, list[str]]:
    """01: the team called lowest is not above the other teams' median."""
    m = re.search(r"lowest adoption: .*? \((\d+)%; median of the other teams (\d+)%\)", text)
    if not m:
        return 0, []
    return 1, [] if int(m[1]) <= int(m[2]) else [f"lowest team {m[1]}% above the others' {m[2]}%"]


def skew_sentence(text: str) -> tuple[int, list[str]]:
    """02: the mean/median ratio is the printed mean over the printed median, and the
    words ('strongly' or 'only mildly' skewed) follow the 1.3 threshold."""
    m = re.search(r"median:\s+(" + NUMBER + r")\s+mean:\s+(" + NUMBER + r").*?"
                  r"Mean / median = (" + NUMBER + r"): (strongly|only mildly)", text, re.S)
    if not m:
        return 0, []
    median, mean, ratio, words = num(m[1]), num(m[2]), num(m[3]), m[4]
    problems = []
    if abs(mean / median - ratio) > 0.02:
        problems.append(f"ratio {ratio} but mean {mean} / median {median}")
    if (ratio >= 1.3) != (words == "strongly"):
        problems.append(f"ratio {ratio} called '{words}' skewed")
    return 1, problems


def no_impossible_roi(text: str) -> tuple[int, list[str]]:
    """02: the net marketing ROI is never below -100 %."""
    m = re.search(r"marketing ROI\s+(" + NUMBER + r")% net", text)
    if not m:
        return 0, []
    return 1, [f"marketing ROI {m[1]}% below -100%"] if num(m[1]) < -100 else []


def by_hand_matches_library(text: str) -> tuple[int, list[str]]:
    """02, 05: a KPI computed in plain pandas equals the library's value printed beside it."""
    found = re.findall(r"by hand:? (" + NUMBER + r")(%?)[;,]? (kpis\.\w+):? (" + NUMBER
                       + r")%?", text)
    return len(found), [f"{lib} {b} but by hand {a}" for a, _, lib, b in found if a != b]


def chance_words_follow_p(text: str) -> tuple[int, list[str]]:
    """02: 'differ by more than chance' exactly when the chi-square p < 0.05."""
    found = re.findall(r"(differ by more than chance alone produces|differ within what chance "
                       r"alone produces here) \(chi-square p ([=<]) (" + NUMBER + r")\)", text)
    problems = [f"chi-square p {sign} {p} but '{words}'" for words, sign, p in found
                if (num(p) < 0.05 or sign == "<") != words.startswith("differ by more")]
    return len(found), problems


def fastest_region(text: str) -> tuple[int, list[str]]:
    """02: the region called fastest has the highest velocity of the table above it, and
    the ratio is the two velocities' ratio."""
    m = re.search(r"Fastest: (\S+), (" + NUMBER + r") times (\S+);", text)
    rows = dict(re.findall(r"^(\S+)\s+\d+\s+" + NUMBER + r"\s+" + NUMBER + r"\s+" + NUMBER
                           + r"\s+(" + NUMBER + r")\s*$", text, re.M))
    if not m or m[1] not in rows or m[3] not in rows:
        return 0, []
    velocity = {k: num(v) for k, v in rows.items()}
    problems = []
    if max(velocity, key=velocity.get) != m[1] or min(velocity, key=velocity.get) != m[3]:
        problems.append(f"fastest {m[1]} / slowest {m[3]} but the table says {velocity}")
    if abs(velocity[m[1]] / velocity[m[3]] - num(m[2])) > 0.06:
        problems.append(f"ratio {m[2]} but the velocities give "
                        f"{velocity[m[1]] / velocity[m[3]]:.2f}")
    return 1, problems


def least_agreement(text: str) -> tuple[int, list[str]]:
    """03: the two statements named as least agreed have the two lowest top-2-box shares
    of the table printed above."""
    m = re.search(r'Least agreement: "[^"]+" \((\d+)%\) and "[^"]+" \((\d+)%\)', text)
    shares = [int(s) for s in re.findall(r"^q_\w+\s+" + NUMBER + r"\s+(\d+)%\s*$", text,
                                         re.M)]
    if not m or not shares:
        return 0, []
    named = sorted(int(s) for s in m.groups())
    lowest = sorted(shares[:len(shares)])[:2]
    return 1, [] if named == lowest else [f"least agreement {named}, table's lowest {lowest}"]


def comment_share(text: str) -> tuple[int, list[str]]:
    """03: 'k of n respondents (s%) left a comment' with s = k / n."""
    found = re.findall(r"(\d+) of (\d+) respondents \((\d+)%\) left a comment", text)
    problems = [f"{k} of {n} is not {s}%" for k, n, s in found
                if abs(100 * int(k) / int(n) - int(s)) > 0.5 + 1e-9]
    return len(found), problems


def department_links(text: str) -> tuple[int, list[str]]:
    """03: the correlation's verdict follows its p-value and its interval holds it; 'a
    positive link beyond chance in U, a negative one in D ... in the other R' is re-derived
    from the per-department table's correlations and Holm p-values (a sign counts only
    when its test clears 0.05); the department that logs in least is the table's."""
    claims, problems = 0, []
    p_text = r"(<\s?0\.001|" + NUMBER + ")"
    overall = re.search(r"Correlation between login share and SUS score: (" + NUMBER
                        + r") \(\d+ respondents; 95% interval (" + NUMBER + ") to ("
                        + NUMBER + r"), p [=<] (" + NUMBER + r")\): (a link beyond chance|"
                        r"within what chance)", text)
    if overall:
        claims += 1
        r, low, high, p = (num(overall[i]) for i in range(1, 5))
        if not low <= r <= high:
            problems.append(f"correlation {r} outside its interval {low} to {high}")
        if (p < 0.05) != overall[5].startswith("a link"):
            problems.append(f"p = {p} but '{overall[5]}'")
    m = re.search(r"the (\d+) with at least \d+ respondents\): a positive link beyond chance "
                  r"in (\d+), a negative one in (\d+) \(p < 0\.05, (?:after Holm's correction "
                  r"for \d+ tests|one test)\)(?:; in the other (\d+))?", text)
    rows = re.findall(r"^(\S+)\s+\d+\s+(\d+)%\s+" + NUMBER + r"\s+(?:(" + NUMBER + r")\s+"
                      + NUMBER + r"\s+" + NUMBER + r"\s+" + p_text + r"\s+" + p_text
                      + r"|NaN\s+NaN\s+NaN)\s*$", text, re.M)
    least = re.search(r"The department that logs in least, (\S+), gives", text)
    if not (m and rows and least):
        return claims, problems
    tested = [(num(r[2]), 0.0 if r[4].startswith("<") else num(r[4])) for r in rows if r[2]]
    shown = [(r > 0, r < 0) for r, holm in tested if holm < 0.05]
    derived = (len(tested), sum(up for up, _ in shown), sum(down for _, down in shown),
               len(tested) - len(shown))
    if tuple(int(g or 0) for g in m.groups()) != derived:
        problems.append(f"'{m[0]}' but the table gives tests/up/down/other {derived}")
    if least[1] != min(rows, key=lambda r: int(r[1]))[0]:
        problems.append(f"{least[1]} called the department that logs in least")
    return claims + 1, problems


def expected_roi(text: str) -> tuple[int, list[str]]:
    """04: expected benefit = extra deals x margin per won deal, ROI = 100 x (benefit - cost)
    / cost in percent, from the printed table (deals whole, money in whole currency units
    'EUR 3,332', ROIs in whole percent '+75 %': each check allows that rounding)."""
    money = r"[A-Z]{3} "  # the profile's currency code, before the amount
    found = re.findall(r"^(extra deals per year|gross margin per won deal|expected benefit per "
                       r"year|cost of the improvements|expected ROI, first year, (?:more|"
                       r"earlier) wins)\s+(?:" + money + r")?(" + NUMBER + r")(?: %)?$", text, re.M)
    rows = dict(found)
    if len(rows) < 6:
        return 0, []
    deals = num(rows["extra deals per year"])
    margin = num(rows["gross margin per won deal"])
    benefit = num(rows["expected benefit per year"])
    cost = num(rows["cost of the improvements"])
    problems = []
    if abs(deals * margin - benefit) > 0.5 * margin + 0.5 * deals + 1:  # deals, money rounded
        problems.append(f"benefit {benefit} is not {deals} deals x {margin}")
    more = num(rows["expected ROI, first year, more wins"])
    if abs(100 * (benefit - cost) / cost - more) > 0.5 + 100 / cost:  # whole percent
        problems.append("expected ROI is not 100 x (benefit - cost) / cost, in percent")
    earlier = num(rows["expected ROI, first year, earlier wins"])
    if not -100 <= earlier <= more:  # the same margin only sooner: less, never below -100
        problems.append(f"earlier-wins ROI {earlier} outside -100 to the more-wins {more}")
    return 1, problems


def review_sentences(text: str) -> tuple[int, list[str]]:
    """05: MDE comparison, the control's rank, the randomisation p-value and plan vs actual
    ROI (percent, never below -100 %), each against its numbers."""
    claims, problems = 0, []
    mde = re.search(r"can detect with them.*?: (" + NUMBER + r") points", text)
    obs = re.search(r"The observed change, (" + NUMBER + r") points, is (at least|below) the "
                    r"(" + NUMBER + r")-point", text)
    if mde and obs:
        claims += 1
        if num(obs[3]) != num(mde[1]):
            problems.append(f"MDE {obs[3]} in the sentence, {mde[1]} planned")
        if (num(obs[1]) >= num(obs[3])) != (obs[2] == "at least"):
            problems.append(f"{obs[1]} points called '{obs[2]}' the {obs[3]}-point MDE")
    rank = re.search(r"The control region (\S+) was (the best-converting region|the worst-"
                     r"converting region|number (\d+) of (\d+)) in the baseline, and moved "
                     r"(" + NUMBER + r") points", text)
    if rank:
        rows = re.findall(r"^(\S+)\s+(" + NUMBER + r")\s+(" + NUMBER + r")\s+(" + NUMBER
                          + r")\s+(\d+)\s*$", text, re.M)
        table = {r[0]: r for r in rows}
        control = table.get(rank[1])
        if control:
            claims += 1
            position, regions = int(control[4]), len(table)
            expected = ("the best-converting region" if position == 1 else
                        "the worst-converting region" if position == regions else
                        f"number {position} of {regions}")
            if rank[2] != expected:
                problems.append(f"control called '{rank[2]}', table says rank {position}")
            move = 100 * (num(control[2]) - num(control[1]))
            if abs(move - num(rank[5])) > 0.15:
                problems.append(f"control moved {rank[5]} points, table says {move:.1f}")
    perm = re.search(r"effect\s+actual\n.*?\n((?:\S+\s+" + NUMBER + r"\s+(?:True|False)\n)+)"
                     r"\s*Randomisation p-value over (\d+) regions: (" + NUMBER + ")", text, re.S)
    if perm:
        claims += 1
        effects = [(num(e), a == "True") for e, a in
                   re.findall(r"\S+\s+(" + NUMBER + r")\s+(True|False)", perm[1])]
        actual = abs(next(e for e, a in effects if a))
        share_low = sum(abs(e) > actual + 0.0005 for e, _ in effects) / len(effects)
        share_high = sum(abs(e) >= actual - 0.0005 for e, _ in effects) / len(effects)
        if not share_low - 0.005 <= num(perm[3]) <= share_high + 0.005:
            problems.append(f"randomisation p {perm[3]} does not match the effects {effects}")
    pct = r"([-+]?\d[\d,]*) %"
    did = re.search(r"From the difference-in-differences .*?more wins\), ROI " + pct
                    + r" \(range " + pct + r" to " + pct + r"\)", text)
    plan = re.search(r"expected an ROI of " + pct + r" under more wins: (inside|above|below) "
                     r"the range", text)
    if did and plan:
        claims += 1
        (roi, low, high), planned = (num(v) for v in did.groups()), num(plan[1])
        shown = [num(v) for v in re.findall(pct, text[did.start():plan.end()])]
        if min(shown) < -100:
            problems.append(f"ROI {min(shown)} % below -100 %")
        if not low <= roi <= high:
            problems.append(f"ROI {roi} % outside its own range {low} to {high}")
        where = "inside" if low <= planned <= high else "above" if planned > high else "below"
        if plan[2] != where:
            problems.append(f"plan {planned} % said '{plan[2]}' the range {low} to {high}")
    return claims, problems


def report_claims(text: str) -> tuple[int, list[str]]:
    """06: 'beyond chance' exactly when p < 0.05, 'within what chance alone produces'
    only when p >= 0.05, and every such sentence gives its p-value."""
    found = re.findall(r"p ([=<]) (" + NUMBER + r")[^):\n]*\): (an improvement beyond chance|"
                       r"a deterioration beyond chance|within what chance alone produces|"
                       r"unlikely to be chance alone)",
                       text)
    problems = [f"p {sign} {p} but '{words}'" for sign, p, words in found
                if (sign == "<" or num(p) < 0.05) != (not words.startswith("within"))]
    return len(found), problems


def period_named(text: str) -> tuple[int, list[str]]:
    """02 (issue 28): a KPI that grows with the period's length (churn) names the months
    its row of the region table covers, beside a quarterly scorecard."""
    named = re.findall(r"^churn_rate \(over \d+ months\)\s+" + NUMBER, text, re.M)
    bare = re.findall(r"^churn_rate\s+" + NUMBER + r".*$", text, re.M)
    return len(named) + len(bare), [f"churn row without its period: {b!r}" for b in bare]


def share_differences_in_points(text: str) -> tuple[int, list[str]]:
    """05: a difference of two shares is in percentage points ('difference +54 pp'), never
    in percent ('difference 54%')."""
    points = re.findall(r"difference [+-]\d+ pp", text)
    percent = re.findall(r"difference [+-]?\d+(?:\.\d+)?%", text)
    return len(points) + len(percent), [f"'{p}': a share difference in percent"
                                        for p in percent]


COMMON: list[Checker] = [verdicts_follow_p]
CHECKERS: dict[str, list[Checker]] = {
    "01_collect_usage_data": [low_login_weeks_inside_the_data, lagging_team],
    "02_analyse_kpis": [skew_sentence, no_impossible_roi, by_hand_matches_library,
                        chance_words_follow_p, fastest_region, period_named],
    "03_gather_feedback": [least_agreement, comment_share, department_links],
    "04_implement_changes": [expected_roi],
    "05_review_after_three_months": [review_sentences, by_hand_matches_library,
                                     share_differences_in_points],
    "06_report": [report_claims],
}
# sentences each lesson must show on a generated company (checkers cannot go quiet)
MIN_CLAIMS = {"01_collect_usage_data": 3, "02_analyse_kpis": 7, "03_gather_feedback": 4,
              "04_implement_changes": 2, "05_review_after_three_months": 12,
              "06_report": 3}


def check(lesson: str, text: str) -> tuple[int, list[str]]:
    """(claims found, disagreements) of one executed lesson."""
    claims, problems = 0, []
    for checker in COMMON + CHECKERS.get(lesson, []):
        n, found = checker(text)
        claims += n
        problems += [f"{checker.__name__}: {p}" for p in found]
    return claims, problems


def claim_tests(seeds: list[int], exports: list[str], sample: bool = False):
    """The module fixture and the tests of one claims file: every lesson on ``seeds`` and
    the fixture ``exports``, executed once per session (`notebook_runs`, shared with the
    papermill and export tests), and with ``sample`` the committed lessons (the bundled
    sample's run, which nbval proves fresh: `notebook_runs.SAMPLE`)."""
    generated = ["sample"] * sample + [f"seed {s}" for s in seeds]
    datasets = generated + exports

    @pytest.fixture(scope="module")
    def runs(notebook_runs):
        """{(dataset, lesson): NotebookRun}."""
        parameters = {"sample": SAMPLE} | {f"seed {s}": {"seed": s} for s in seeds}
        parameters |= {name: {"data_dir": str(notebook_runs.imported(name))} for name in exports}
        jobs = [(name, lesson) for name in datasets for lesson in LESSONS]
        done = notebook_runs.run([(ROOT / "notebooks" / f"{lesson}.ipynb", parameters[name])
                                  for name, lesson in jobs])
        return dict(zip(jobs, done, strict=True))

    @pytest.mark.parametrize("lesson", LESSONS)
    @pytest.mark.parametrize("dataset", datasets)
    def test_generated_claims_match_their_numbers(runs, dataset, lesson):
        run = runs[dataset, lesson]
        assert run.error is None, run.error
        claims, problems = check(lesson, outputs(run.output))
        assert not problems, f"{lesson} on {dataset}: " + "; ".join(problems)
        if dataset in generated:
            assert claims >= MIN_CLAIMS.get(lesson, 1), (
                f"{lesson} on {dataset}: only {claims} checked sentences found; a lesson "
                "sentence changed its wording: update its checker in lesson_claims.py")

    def test_every_checker_finds_its_sentence(runs):
        """On these companies each checker checks at least one sentence: fewer seeds in
        ``make test`` than in ``make claims`` still leave no checker idle."""
        idle = [f"{lesson}: {checker.__name__}" for lesson in LESSONS
                for checker in COMMON + CHECKERS.get(lesson, [])
                if not any(checker(outputs(runs[name, lesson].output))[0]
                           for name in generated)]
        assert not idle, f"no sentence checked on {generated}: {idle}"

    return runs, test_generated_claims_match_their_numbers, test_every_checker_finds_its_sentence
