"""One way for text from data, metadata, paths or learners to reach a page or a file.

- `clean` drops control, format (bidi overrides, zero-width) and separator characters:
  for ids, names and one-line values in every output (gradebook, feedback, pages).
- `html` is `clean` + MarkupSafe's escaping (``& < > " '``): for HTML text and attribute
  values, e.g. a widget's ``HTML.value`` (set as ``innerHTML`` in the browser).
- `markdown` also backslash-escapes Markdown syntax, so ``[x](javascript:...)``,
  ``![](http://...)`` or ``*`` stay literal in Markdown that is rendered to HTML.
"""

from __future__ import annotations

import re
import unicodedata

from markupsafe import Markup, escape

DROP = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
KEEP = {"\n", "\t"}
MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")


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
    """``text`` safe to put in HTML (text or a quoted attribute)."""
    return escape(clean(text, multiline))


def markdown(text, multiline: bool = False) -> str:
    """``text`` safe to put in Markdown that is rendered as HTML: literal, no markup."""
    return str(escape(MARKDOWN_SPECIAL.sub(r"\\\1", clean(text, multiline))))


__all__ = ["Markup", "clean", "html", "markdown"]
