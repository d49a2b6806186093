"""One way for text from data, metadata, paths or learners to reach a page or a file.

- `clean` drops control, format (bidi overrides, zero-width) and separator characters:
  for ids, names and one-line values in every output (gradebook, feedback, pages).
- `html` is `clean` + MarkupSafe's escaping (``& < > " '``): for HTML text and attribute
  values, e.g. a widget's ``HTML.value`` (set as ``innerHTML`` in the browser).
- `markdown` keeps text literal in Markdown that is rendered to HTML: ``< > &`` become
  entities (no HTML, no autolinks) and ``\\ ` [ ] |`` get a backslash (no links, images,
  code spans or table cells); ``_``, ``*`` and quotes stay readable (they cannot
  run or load anything).
- `markdown_literal`: the same for a renderer that escapes HTML itself (mistune with
  ``escape=True``): ``< > &`` get a backslash too, so a page shows ``<`` (escaped once),
  never a literal ``&lt;``.
- `no_bidi` drops only direction controls (U+202A-202E, U+2066-2069, U+200E/F, U+061C)
  from a dataset string shown on a page, keeping everything else as it is.
- `csv_cell`: a cell of a CSV file written for people to open in a spreadsheet
  (gradebook, LMS exports): `clean`, and a leading ``'`` before text that
  `looks_like_formula` (``= + - @``, tab, return), so the spreadsheet never runs it. The
  dataset's own CSV files are data, kept as the CRM wrote them (an import notes the
  cells that start like a formula; see `crm_course.importer`).
"""

from __future__ import annotations

import re
import unicodedata

from markupsafe import Markup, escape

DROP = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
KEEP = {"\n", "\t"}
MARKDOWN_SPECIAL = re.compile(r"([\\`\[\]|])")
MARKDOWN_HTML = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
MARKDOWN_LITERAL = re.compile(r"([\\`\[\]|<>&])")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BIDI = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F,
                      0x061C])


def clean(text, multiline: bool = False) -> str:
    """``text`` without invisible or direction-changing characters; newlines and tabs
    become spaces unless ``multiline``."""
    out = []
    for ch in str(text):
        if ch in KEEP:
            out.append(ch if multiline else " ")
        elif unicodedata.category(ch) not in DROP:
            out.append(ch)
    return "".join(out)


def html(text, multiline: bool = False) -> Markup:
    """``text`` safe to put in HTML (text or a quoted attribute). ``multiline``: keep line
    breaks."""
    return escape(clean(text, multiline))


def markdown(text, multiline: bool = False) -> str:
    """``text`` safe to put in Markdown that is rendered as HTML: literal, no markup. ``multiline``:
    keep line breaks."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", clean(text, multiline)).translate(MARKDOWN_HTML)


def markdown_literal(text, multiline: bool = False) -> str:
    """``text`` literal in Markdown rendered by a renderer that escapes HTML itself. ``multiline``:
    keep line breaks."""
    return MARKDOWN_LITERAL.sub(r"\\\1", clean(text, multiline))


def no_bidi(text) -> str:
    """``text`` without direction controls (a U+202E in a company name cannot reverse
    the rest of a page's line)."""
    return str(text).translate(BIDI)


def looks_like_formula(text: str) -> bool:
    """Starts like a formula once leading spaces are dropped and full-width forms read
    as their ASCII ones (NFKC): ``' =1+1'``, ``'\u3000=1+1'`` and ``'＝1+1'`` too.
    ``text``: a cell's text."""
    text = unicodedata.normalize("NFKC", text)
    return text.startswith(FORMULA_START) or text.lstrip().startswith(FORMULA_START)


def csv_cell(value) -> str:
    """A CSV cell a spreadsheet never runs: control and bidi characters dropped, and a
    leading ``'`` before text that starts like a formula (``= + - @``, tab, return),
    after any leading space. ``value``: anything; None is an empty cell, a float written with
    ``:g``."""
    text = "" if value is None else (f"{value:g}" if isinstance(value, float) else str(value))
    formula = looks_like_formula(text)
    text = clean(text)
    return "'" + text if formula or looks_like_formula(text) else text


__all__ = ["Markup", "clean", "csv_cell", "html", "looks_like_formula", "markdown",
           "markdown_literal", "no_bidi"]
