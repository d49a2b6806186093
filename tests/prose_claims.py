"""Sentences of an executed lesson that say or imply an effect without a test.

EVALUATION_RULES: "On data where nothing changed, no sentence says or implies that
something went up, improved, served or paid off, unless a test in the same sentence
supports it. Headings too." A lesson's prose is its markdown cells (headings included)
and what its code prints (stdout, markdown outputs; each printed line a statement of its
own); tables are numbers, not sentences.

The rule is structural. A sentence *implies an effect* when it holds

* a **before -> after pair** of numbers (`PAIR`): "66.7% -> 76.2%", "from 11.0% to
  14.3%", "wave 1 9%, wave 2 18%", "0.11 before ... vs 0.15 after", "the naive
  before/after 5.39", and two groups side by side, "10% against 11%"; or
* a **direction word** (`DIRECTION`): went up, rose, fell, dropped, improved, worsened,
  grew, lifted, boosted, cut by, halved, doubled, paid off, served, celebrate ...; or
* a **link** between two measures with a number (`ASSOCIATION`): "correlation 0.43 (52
  respondents)", "positive link within 3 of 3 departments";

and it is an *untested effect claim* unless the same sentence carries a test result or
says plainly that none is established (`ACCOUNTED`: a p-value, an interval, "chance",
"not established", "not shown", "cannot tell", "no claim"; planning statements about
what a test *can detect* count too). Words in quotes are mentions, not claims ("say
'improved' only when ..."). A direction word without any number in a question, a
condition or a modal sentence ("Did the changes work?", "a strong season can lift a
KPI") claims nothing about these data; a pair of numbers always does.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

NUMBER = r"[-+]?(?:[A-Z]{3}\s?)?\d[\d,]*(?:\.\d+)?\s?(?:%|pp|h\b|points?\b|days?\b)?"
PAIR = re.compile(
    rf"({NUMBER}\s*(?:->|→|⟶)\s*{NUMBER}"               # 66.7% -> 76.2%
    rf"|\bfrom\s+{NUMBER}\s+to\s+{NUMBER}"              # from 11.0% to 14.3%
    rf"|\bWAVEONE\b[^;]*?\d[^;]*?\bWAVETWO\b"          # wave 1 9%, wave 2 18%
    rf"|\bbefore\b[^;]*?\bvs\.?\s[^;]*?\bafter\b"        # 0.11 before (n=..) vs 0.15 after
    rf"|\bbefore/after\b[^;]*?\d"                      # the naive before/after 5.39
    rf"|{NUMBER}[^;:]{{0,40}}?\bagainst\s+{NUMBER})",      # 10% (n=928) against 12%
    re.IGNORECASE)
DIRECTION = re.compile(
    r"\b(went (?:up|down)|go(?:es)? (?:up|down)|rose|risen|rises|fell|fallen|"
    r"dropped|drops|improved|improves|improving|worsened|worsens|got (?:better|worse)|"
    r"increased|decreased|declined|grew|grown|gained|jumped|climbed|surged|slipped|"
    r"shrank|lifted|lifts|boosted|boosts|halved|doubled|tripled|cut (?:by|in half)|"
    r"paid off|pays off|pay off|served|serves(?! as)|should serve|celebrat\w*|"
    r"worked(?! example)|faster replies|worth it)\b",
    re.IGNORECASE)
ACCOUNTED = re.compile(
    r"(\bp\s*[=<>≤]\s*\d|p-value|\binterval\b|\bchance\b|\bsignifican\w*|"
    r"\bnot (?:established|shown)\b|\bcannot tell\b|\bcannot be told\b|\bno claim\b|"
    r"\bcan detect\b|\bdetectable\b|\d ?% power\b|\btoo few\b)",
    re.IGNORECASE)
# a link between two measures: with a number it states a finding that needs its test
ASSOCIATION = re.compile(r"\b(correlat\w*|(?:positive|negative) link|linked to|"
                         r"associated with|go(?:es)? together)\b", re.IGNORECASE)
# a condition or a modal says what could be, not what these data show
HEDGED = re.compile(r"\b(?:whether|if|unless|when|can|could|may|might|would)\b",
                    re.IGNORECASE)
SCALE = re.compile(r"\b(?:runs|ranged?|ranges|scale|score) from\b|\bfrom -100 to \+100\b",
                   re.IGNORECASE)  # a range, not a change: 0 to 100, -100 to +100
LABELS = re.compile(r"\bq\d+\b|\b(?:was|were|are|is|be|been) dropped\b",
                    re.IGNORECASE)  # question numbers; rows dropped at an import
# a mention; a quote left open closes in a later sentence (a quoted comment of several)
QUOTED = re.compile(r"(?<!\w)'[^']*'(?!\w)|\"[^\"]*(?:\"|$)|“[^”]*(?:”|$)")
DATE = re.compile(r"\b(?:\d{1,2} )?(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
                  r"[a-z]* \d{4}\b|\b\d{4}-\d\d-\d\d\b|\b(?:19|20)\d\d\b")


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


def sentences(text: str, printed: bool = False) -> list[str]:
    """Split prose into sentences: at . ! ? : followed by a capital, and at line starts
    that begin a heading, a list item or a table row; ``printed`` text also at every line
    (each printed line is a statement of its own)."""
    text = re.sub(r"`[^`]*`", "CODE", text)       # inline code is not prose
    lines = r"\n" if printed else r"\n(?=\s*(?:#|[-*] |\d+\. |\|))|\n\s*\n"
    parts: list[str] = []
    for block in re.split(lines, text):
        block = " ".join(block.split())
        parts.extend(s for s in re.split(r"(?<=[.!?:])\s+(?=[A-Z(\"'*])", block) if s)
    return parts


def implies_effect(sentence: str) -> bool:
    """True when ``sentence`` says or implies that something changed: a before -> after
    pair, or a direction word outside a question and, without numbers, outside a condition
    or a modal (module docstring)."""
    words = _words(sentence)
    if PAIR.search(words) or (ASSOCIATION.search(words) and re.search(r"\d", words)):
        return True
    if not DIRECTION.search(words) or "?" in words:  # a question asks, it claims nothing
        return False
    return not (HEDGED.search(words) and not re.search(r"\d", words))


def is_effect_claim(sentence: str) -> bool:
    """True when ``sentence`` implies an effect without a test result in it."""
    return implies_effect(sentence) and not ACCOUNTED.search(_words(sentence))


def _words(sentence: str) -> str:
    """The sentence without quoted mentions, dates, scale ranges, question numbers and
    rows dropped at an import; "wave 1" and "wave 2" as words (their digits are labels)."""
    words = LABELS.sub("LABEL", SCALE.sub("SCALE", DATE.sub("DATE", QUOTED.sub(
        "QUOTE", sentence))))
    words = re.sub(r"\bwave 1\b", "WAVEONE", words, flags=re.IGNORECASE)
    return re.sub(r"\bwave 2\b", "WAVETWO", words, flags=re.IGNORECASE)


def effect_sentences(nb) -> list[tuple[int, str, bool]]:
    """(cell index, sentence, tested) of every sentence of ``nb`` that implies an effect;
    ``tested``: it carries its test result (`ACCOUNTED`)."""
    return [(index, s, not is_effect_claim(s)) for index, kind, text in prose(nb)
            for s in sentences(text, printed=kind == "output") if implies_effect(s)]


def effect_claims(nb) -> list[tuple[int, str]]:
    """(cell index, sentence) of every untested effect claim of ``nb``."""
    return [(index, s) for index, s, tested in effect_sentences(nb) if not tested]


def claims_in(path: Path) -> list[tuple[int, str]]:
    return effect_claims(nbformat.read(path, as_version=4))
