"""Sentences of an executed lesson that say or imply an effect without a test.

EVALUATION_RULES: "On data where nothing changed, no sentence says or implies that
something went up, improved, served or paid off, unless a test in the same sentence
supports it. Headings too." A lesson's prose is its markdown cells (headings included)
and what its code prints (stdout, markdown outputs); tables are numbers, not sentences.

A sentence is an *effect claim* when it holds an effect word (`EFFECT`) and no test
statement (`TESTED`: a p-value, an interval, "chance", a verdict word of the engine).
A question ("Did the changes work?") or an open condition ("whether it worked") claims
nothing. Negated phrasing ("went down, not up") still needs a test: the rule is about
what a reader takes away.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

EFFECT = re.compile(
    r"\b(went up|went down|rose|risen|fell|fallen|dropped|improved|improves|improving|"
    r"increased|decreased|declined|grew|lifted|boosted|paid off|pays off|served|"
    r"celebrat\w*|worked(?! example)|got better|got worse|faster replies|worth it)\b",
    re.IGNORECASE)
TESTED = re.compile(
    r"(\bp\s*[=<>≤]|p-value|\binterval\b|\bchance\b|\bsignifican|\btest(ed|s)?\b|"
    r"\bcannot tell\b|\bnot established\b|\bestablished\b|\bmet\b|\bnot met\b|"
    r"\bdetectable\b|\bverdict\b|\bevidence\b)",
    re.IGNORECASE)
# a question or an open condition asks, it does not claim ("Did the changes work?")
OPEN = re.compile(r"(\?|\bwhether\b)")


def prose(nb) -> list[tuple[int, str, str]]:
    """(cell index, 'markdown' or 'output', text) of every piece of prose of ``nb``."""
    out = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            out.append((i, "markdown", cell.source))
        elif cell.cell_type == "code":
            for o in cell.get("outputs", []):
                if o.get("output_type") == "stream" and o.get("name") == "stdout":
                    out.append((i, "output", o.get("text", "")))
                elif "text/markdown" in o.get("data", {}):
                    out.append((i, "output", o["data"]["text/markdown"]))
    return out


def sentences(text: str) -> list[str]:
    """Split prose into sentences: at . ! ? followed by space, and at line starts that
    begin a heading, a list item, a table row or a new printed line after a full stop."""
    text = re.sub(r"`[^`]*`", "CODE", text)       # inline code is not prose
    parts: list[str] = []
    for block in re.split(r"\n(?=\s*(?:#|[-*] |\d+\. |\|))|\n\s*\n", text):
        block = " ".join(block.split())
        parts.extend(s for s in re.split(r"(?<=[.!?:])\s+(?=[A-Z(\"'*])", block) if s)
    return parts


def effect_claims(nb) -> list[tuple[int, str]]:
    """(cell index, sentence) of every effect claim of ``nb`` (see the module docstring)."""
    found = []
    for index, _, text in prose(nb):
        for s in sentences(text):
            if EFFECT.search(s) and not TESTED.search(s) and not OPEN.search(s):
                found.append((index, s))
    return found


def claims_in(path: Path) -> list[tuple[int, str]]:
    return effect_claims(nbformat.read(path, as_version=4))
