"""One escaping path: text from data, paths or learners stays text in HTML (dashboard),
in Markdown rendered to HTML (feedback files, the import report) and in ids."""

from __future__ import annotations

import re
from pathlib import Path

import mistune
import pytest

from crm_course.escape import clean, html, markdown
from crm_course.grading import GradeResult, feedback_text
from crm_course.importer.report import DroppedRow, ImportReport, TableReport

PAYLOADS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
            "[click](javascript:alert(1))", "![i](http://example.invalid/i.png)",
            "<iframe src='http://example.invalid/'></iframe>", "<http://example.invalid>",
            "`code` | cell"]
TAGS = ("<script", "<img", "<iframe", "<a ", "<code")


def _rendered(text: str) -> str:
    return mistune.html(text)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_markdown_and_html_keep_payloads_as_text(payload):
    for tag in TAGS:
        assert tag not in _rendered(f"Note: {markdown(payload)}")
        assert tag not in str(html(payload))
    assert "|" not in markdown("a|b").replace("\\|", "")


def test_clean_drops_control_and_direction_characters():
    assert clean("li\u202ewei\u200b\x07\nnext") == "liwei next"
    assert clean("a\nb", multiline=True) == "a\nb"
    assert str(html("ma\u202eld'\"")) == "mald&#39;&#34;"


def test_feedback_escapes_everything_a_learner_controls():
    bad = PAYLOADS[1] + PAYLOADS[2]
    r = GradeResult(submission=f"{bad}.ipynb", learner=bad, exercise="00_warmup",
                    score=0, max_score=7, reason=f"1 cell(s) raised errors (first: {bad})",
                    questions={"q1": {"status": "failed", "points": 0, "max_points": 1,
                                      "message": bad},
                               "q8": {"status": "passed", "points": 0, "max_points": 0,
                                      "message": ""}},
                    open_answers={"q8": f"My answer\n{PAYLOADS[0]}\n{PAYLOADS[3]}"})
    page = _rendered(feedback_text([r]))
    for tag in TAGS:
        assert tag not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_import_report_escapes_export_names_keys_and_reasons(tmp_path):
    bad = PAYLOADS[1] + "|" + PAYLOADS[2]
    report = ImportReport("hubspot", tmp_path / "export", tmp_path / "data",
                          tables=[TableReport("accounts", f"{bad}.csv", 2, 1,
                                              mapped={"name": bad}, unused=[bad])],
                          absent={"tickets": bad}, notes=[bad],
                          dropped=[DroppedRow("accounts", f"{bad}.csv", 3, bad, bad)])
    text = report.to_markdown()
    page = _rendered(text)
    for tag in TAGS[:-1]:  # folders are shown as code on purpose
        assert tag not in page
    rows = [line for line in text.splitlines() if line.startswith("| accounts | &lt;img")]
    assert len(rows) == 2  # tables and dropped rows: cells never split by a "|"
    assert [len(re.findall(r"(?<!\\)\|", row)) for row in rows] == [6, 6]
    (tmp_path / "data").mkdir()
    assert Path(report.write()).read_text(encoding="utf-8") == text


def test_feedback_page_escapes_once_and_still_runs_nothing():
    from crm_course.grading import feedback_html

    bad = PAYLOADS[0] + " a < b & c &amp; " + PAYLOADS[4]
    r = GradeResult(submission="x.ipynb", learner=bad, exercise="00_warmup", max_score=7,
                    reason=bad, questions={"q1": {"status": "failed", "points": 0,
                                                  "max_points": 1, "message": bad}})
    page = feedback_html([r])
    for tag in TAGS:
        assert tag not in page
    assert "a &lt; b &amp; c &amp;amp; " in page  # read as "a < b & c &amp;" by the learner
    assert "&amp;lt;" not in page


def test_no_bidi_drops_only_direction_controls():
    from crm_course.escape import no_bidi

    assert no_bidi("Acme\u202e Corp\u2066x\u2069 \u200fé\u200b") == "Acme Corpx é\u200b"
