"""The dashboard's class view on a generated class: opened from a results folder, the
same numbers as the class report, the chosen question's mistakes, escaped errors, how
learners were named (files counted as one learner listed), open questions answered or
left, never solved."""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")

from class_fixtures import make_class  # noqa: E402

from crm_course.dashboard.class_view import ClassView, shares  # noqa: E402


def _folder(tmp_path, sample):
    (tmp_path / "results.json").write_text(json.dumps(make_class(sample)), encoding="utf-8")
    return tmp_path


def test_opens_a_results_folder(sample, tmp_path):
    view = ClassView(_folder(tmp_path, sample))
    assert view.report is not None and view.chart.svg.startswith(b"<?xml")
    table = shares(view.report)
    q1 = next(i for i in table.index if i.startswith("Exercise 2, question 1: "))
    assert table.loc[q1].round(3).tolist() == [0.222, 0.556, 0.0, 0.222]
    assert (table.sum(axis=1).round(9) == 1).all()
    assert "lead conversion" in view.reteach.value and "median sales cycle" in view.reteach.value
    assert "ivy" in view.learners.value and "0%" in view.learners.value
    # one row per learner: behind a closed toggle, so the view fits a screen
    assert view.learners_box.children == (view.learners,)
    assert view.learners_box.selected_index is None
    assert repr(view.widget).splitlines()[:3] == [
        "Class view: 10 submissions", "reteach 02_analyse_kpis q1",
        "reteach 02_analyse_kpis q3"]


def test_a_relative_folder_opens_from_where_the_server_was_started(sample, tmp_path,
                                                                   monkeypatch):
    """As the data box does (`datasets.resolve`): not from the notebook's folder."""
    from crm_course.dashboard.serve import START_ENV

    (tmp_path / "run").mkdir()
    _folder(tmp_path / "run", sample)
    monkeypatch.setenv(START_ENV, str(tmp_path))
    view = ClassView()
    view.folder.value = "run"
    assert view.open() and view.report.submissions == 10
    assert "10 submissions, " in view.status.value and "(s)" not in view.status.value
    assert view.report.source == str((tmp_path / "run").resolve())


def test_choosing_a_question_lists_its_mistakes(sample, tmp_path):
    view = ClassView(_folder(tmp_path, sample))
    assert "censored leads included" in view.mistakes.value  # q1, the first question
    view.question.value = 2  # q3
    assert "mean instead of median" in view.mistakes.value
    assert "q3: solved 4/9, mistakes {'mean instead of median': 3}" in view.describe()
    view.question.value = 1  # q2: nobody wrong
    assert view.mistakes.value == "<p>No wrong answers to this question.</p>"


def test_a_bad_folder_is_explained_escaped(tmp_path):
    view = ClassView()
    assert view.describe() == "Class view: no results opened"
    bad = tmp_path / "<b>x"
    bad.mkdir()
    view.folder.value = str(bad)
    assert view.open() is False
    assert "Not opened" in view.status.value and "&lt;b&gt;x" in view.status.value
    assert "<b>x" not in view.status.value


def test_the_dashboard_opens_the_class_tab_from_a_results_folder(sample, tmp_path,
                                                                 monkeypatch):
    from crm_course.dashboard import Dashboard
    from crm_course.dashboard.serve import RESULTS_ENV, environment

    folder = _folder(tmp_path, sample)
    app = Dashboard(sample, results=folder)
    view = app.classes  # built when read (or when its tab is opened)
    assert app.tabs.titles[3] == "Class" and app.tabs.children[3].children == (view.widget,)
    assert app.classes.report.submissions == 10
    assert "Class view: 10 submissions" in repr(app.widget)
    # `crm-course dashboard --results DIR` hands the folder to Voila's kernels this way
    monkeypatch.setenv(RESULTS_ENV, environment(folder)[RESULTS_ENV])
    assert Dashboard(sample).classes.report.submissions == 10
    monkeypatch.delenv(RESULTS_ENV)
    empty = Dashboard(sample).classes
    assert empty.report is None and empty.folder.value == ""
    assert RESULTS_ENV not in environment(None)


def test_cli_dashboard_refuses_a_folder_without_results(tmp_path, capsys):
    from crm_course.cli import main

    assert main(["dashboard", "--results", str(tmp_path), "--no-browser"]) == 2
    err = capsys.readouterr().err
    assert "--results" in err and "results.json: not found" in err


def test_the_class_tab_reads_new_results_when_opened_and_says_when_it_read(sample, tmp_path):
    """A grading run after the tab was first opened: opening the tab again shows its
    results (the outside review saw the old ones), and the view says when it read them."""
    from crm_course.dashboard import Dashboard

    folder = _folder(tmp_path, sample)
    app = Dashboard(sample, results=folder)
    app.tabs.selected_index = 3
    assert app.classes.report.submissions == 10 and "read at" in app.classes.status.value
    graded = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    (folder / "results.json").write_text(json.dumps(graded[:4]), encoding="utf-8")
    app.tabs.selected_index = 0
    assert app.classes.report.submissions == 10  # not read while the tab is closed
    app.tabs.selected_index = 3
    assert app.classes.report.submissions == 4
    assert "4 submissions" in app.classes.status.value
    assert app.classes.refresh() is False  # unchanged since: not read again


def test_an_open_question_shows_answered_not_graded_never_solved(sample, tmp_path):
    """q9 is read by the instructor: 7 of 9 learners wrote an answer (hal left it, ivy's
    file could not be read); the outside review saw such a question as solved or not
    attempted."""
    view = ClassView(_folder(tmp_path, sample))
    table = shares(view.report)
    q9 = next(i for i in table.index if i.startswith("Exercise 2, question 9: "))
    assert table.loc[q9].round(3).to_dict() == {
        "solved": 0.0, "wrong": 0.0, "answered, not graded": 0.778, "not attempted": 0.222}
    assert f"{q9}: 78% answered (not graded)" in view.chart.alt
    view.question.value = 8
    assert ("An open question, read by you and not graded automatically: 7 of 9 learners "
            "wrote an answer, 2 did not.") in view.mistakes.value
    assert "q9: answered, not graded 7/9" in view.describe()


def test_files_named_alike_without_a_roster_are_one_learner_and_the_view_says_so(
        sample, tmp_path):
    """Two people's 02_analyse_kpis.ipynb, graded without a roster (named by the file
    name): one learner row, and the view names the rule and lists both files."""
    graded = make_class(sample)
    alice = dict(graded[0], submission=str(tmp_path / "alice" / "02_analyse_kpis.ipynb"),
                 learner="02_analyse_kpis", named_by="file name")
    bob = dict(graded[7], submission=str(tmp_path / "bob" / "02_analyse_kpis.ipynb"),
               learner="02_analyse_kpis", named_by="file name")
    (tmp_path / "results.json").write_text(json.dumps([bob, alice]), encoding="utf-8")
    view = ClassView(tmp_path)
    assert "1 learner counted from several handed-in files" in view.status.value
    assert view.naming_box.selected_index is None  # below the chart, behind its toggle
    assert view.widget.children.index(view.naming_box) > view.widget.children.index(
        view.chart)
    status = view.status.value + view.naming.value
    assert status.startswith("<p>2 submissions, 1 learner: ")
    assert ("Without a roster, learners are named by the learner id each notebook sets in "
            "its settings cell, or by the notebook&#x27;s file name when it sets none") in status
    assert "Counted as one learner although handed in as several files" in status
    assert ("02_analyse_kpis (Exercise 2: analyse kpis): 2 files, bob/02_analyse_kpis.ipynb, "
            "alice/02_analyse_kpis.ipynb; only alice/02_analyse_kpis.ipynb counts") in status
    assert "grade again with a roster" in status
    assert ("bob/02_analyse_kpis.ipynb, alice/02_analyse_kpis.ipynb (counted: "
            "alice/02_analyse_kpis.ipynb)") in view.learners.value
    assert repr(view.widget).splitlines()[-1] == (
        "one learner, several files: 02_analyse_kpis 02_analyse_kpis "
        "bob/02_analyse_kpis.ipynb, alice/02_analyse_kpis.ipynb; counted "
        "alice/02_analyse_kpis.ipynb")
    # bound by a roster: the roster decided, so no advice to use one
    (tmp_path / "results.json").write_text(
        json.dumps([dict(r, named_by="roster") for r in (bob, alice)]), encoding="utf-8")
    assert view.open() and "named by the roster" in view.naming.value
    assert "Counted as one learner" in view.naming.value
    assert "grade again with a roster" not in view.naming.value
