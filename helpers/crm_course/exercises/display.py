"""Showing: verdicts, hints, solutions and progress as a short coloured HTML line in
JupyterLab, with a plain-text twin for papermill logs and terminals."""

from __future__ import annotations

import html

from .judge import FAILED, PASSED, UNANSWERED, Verdict

STYLE = {PASSED: ("#1a7f37", "#e6f4ea", "✔", "Passed"),
         FAILED: ("#b3261e", "#fdecea", "✘", "Not yet"),
         UNANSWERED: ("#5f6368", "#f1f3f4", "…", "Not answered"),
         "hint": ("#8a5a00", "#fff4e0", "💡", "Hint"),
         "solution": ("#1f4e9e", "#e8f0fe", "📖", "Solution"),
         "info": ("#1f4e9e", "#e8f0fe", "ℹ", "Info")}


class Message:
    """One displayable message: ``_repr_html_`` for Jupyter, ``__repr__`` for text."""

    def __init__(self, kind: str, label: str, text: str, code: str | None = None):
        self.kind, self.label, self.text, self.code = kind, label, text, code

    def __repr__(self) -> str:
        head = f"[{STYLE[self.kind][3]}] {self.label}: {self.text}"
        return head + ("\n" + self.code if self.code else "")

    def _repr_html_(self) -> str:
        fg, bg, icon, word = STYLE[self.kind]
        code = (f'<pre style="margin:4px 0 0 0">{html.escape(self.code)}</pre>'
                if self.code else "")
        return (f'<div style="color:{fg};background:{bg};padding:4px 8px;border-radius:4px;'
                f'font-family:sans-serif">{icon} <b>{html.escape(self.label)}</b> '
                f'{word}: {html.escape(self.text)}{code}</div>')


class Table:
    """A small table (progress) with an HTML and a text form."""

    def __init__(self, title: str, header: list[str], rows: list[list[str]], footer: str = ""):
        self.title, self.header, self.rows, self.footer = title, header, rows, footer

    def __repr__(self) -> str:
        widths = [max(len(str(r[i])) for r in [self.header, *self.rows])
                  for i in range(len(self.header))]
        lines = [self.title, "  ".join(h.ljust(w) for h, w in zip(self.header, widths,
                                                                   strict=True))]
        lines += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                  for r in self.rows]
        return "\n".join(lines + ([self.footer] if self.footer else []))

    def _repr_html_(self) -> str:
        colour = {p: STYLE[p][0] for p in (PASSED, FAILED, UNANSWERED)}
        head = "".join(f"<th style='text-align:left'>{html.escape(h)}</th>" for h in self.header)
        body = "".join(
            "<tr>" + "".join(f"<td style='color:{colour.get(c, 'inherit')}'>"
                             f"{html.escape(str(c))}</td>" for c in r) + "</tr>"
            for r in self.rows)
        foot = f"<p>{html.escape(self.footer)}</p>" if self.footer else ""
        return (f"<div style='font-family:sans-serif'><b>{html.escape(self.title)}</b>"
                f"<table><tr>{head}</tr>{body}</table>{foot}</div>")


def verdict_message(v: Verdict) -> Message:
    return Message(v.status, v.question, v.message)


def show(obj) -> None:
    """Display ``obj`` in a kernel (both mimetypes), else print its text form."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython is a dependency of the course
        print(repr(obj))
        return
    if get_ipython() is None:
        print(repr(obj))
    else:
        display({"text/plain": repr(obj), "text/html": obj._repr_html_()}, raw=True)
