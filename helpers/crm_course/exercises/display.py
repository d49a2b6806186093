"""Showing: verdicts, hints, solutions and progress as a short coloured HTML block in
JupyterLab, with a plain-text twin for papermill logs, terminals and the gradebook.

Message text is Markdown (rendered by mistune with raw HTML escaped); solution code is
highlighted by pygments with inline styles (no stylesheet needed). The badge is a
coloured word, not an emoji, so it reads the same without special fonts.
"""

from __future__ import annotations

import html

import mistune
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from .judge import FAILED, PASSED, UNANSWERED, Verdict

STYLE = {PASSED: ("#1a7f37", "#e6f4ea", "Passed"),
         FAILED: ("#b3261e", "#fdecea", "Not yet"),
         UNANSWERED: ("#5f6368", "#f1f3f4", "Not answered"),
         "hint": ("#8a5a00", "#fff4e0", "Hint"),
         "solution": ("#1f4e9e", "#e8f0fe", "Solution"),
         "info": ("#1f4e9e", "#e8f0fe", "Info")}

_MARKDOWN = mistune.create_markdown(escape=True)
_FORMATTER = HtmlFormatter(noclasses=True, nowrap=True, style="default")


def markdown_html(text: str) -> str:
    """``text`` (Markdown) as HTML; any HTML the text holds is escaped, not rendered."""
    out = _MARKDOWN(text).strip()
    if out.startswith("<p>") and out.endswith("</p>") and out.count("<p>") == 1:
        out = out[3:-4]  # one paragraph: keep it inline after the badge
    return out


def code_html(code: str) -> str:
    """Python ``code`` highlighted with inline colours (escaped by pygments)."""
    return highlight(code, PythonLexer(), _FORMATTER)


class Message:
    """One displayable message: ``_repr_html_`` for Jupyter, ``__repr__`` for text."""

    def __init__(self, kind: str, label: str, text: str, code: str | None = None):
        self.kind, self.label, self.text, self.code = kind, label, text, code

    def __repr__(self) -> str:
        head = f"[{STYLE[self.kind][2]}] {self.label}: {self.text}"
        return head + ("\n" + self.code if self.code else "")

    def _repr_html_(self) -> str:
        fg, bg, word = STYLE[self.kind]
        code = (f'<pre style="margin:4px 0 0 0;padding:4px;background:#ffffff;'
                f'border-radius:3px">{code_html(self.code)}</pre>' if self.code else "")
        badge = (f'<span style="background:{fg};color:#ffffff;border-radius:3px;'
                 f'padding:0 5px;font-size:90%">{word}</span>')
        return (f'<div style="color:{fg};background:{bg};padding:4px 8px;border-radius:4px;'
                f'font-family:sans-serif">{badge} <b>{html.escape(self.label)}</b>: '
                f'{markdown_html(self.text)}{code}</div>')


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

        def cell(c) -> str:
            tint = colour.get(str(c).split(" ")[0], "inherit")
            return f"<td style='color:{tint}'>{html.escape(str(c))}</td>"

        head = "".join(f"<th style='text-align:left'>{html.escape(h)}</th>" for h in self.header)
        body = "".join(
            "<tr>" + "".join(cell(c) for c in r) + "</tr>" for r in self.rows)
        foot = f"<p>{html.escape(self.footer)}</p>" if self.footer else ""
        return (f"<div style='font-family:sans-serif'><b>{html.escape(self.title)}</b>"
                f"<table><tr>{head}</tr>{body}</table>{foot}</div>")


def verdict_message(v: Verdict) -> Message:
    """The `Message` (status, question, text) that shows the verdict ``v``."""
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
