"""The user survey (SUS and Likert items, comments) in two waves."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..schema import (
    LIKERT_ITEMS,
    SUS_ITEMS,
)
from .draws import as_days, make_ids
from .profile import TREATED_REGIONS

COMMENT_THEMES = {  # five core sentences per theme; each holds a keyword of its theme only
    "training": ("I never had proper training on the forecasting screen.",
                 "We need more training on the advanced features.",
                 "Half of my team does not know how to use the pipeline view properly.",
                 "A refresher session would help new colleagues a lot.",
                 "Nobody showed us how to build our own views."),
    "interface": ("The interface is cluttered; I need too many clicks to log a call.",
                  "Record pages are confusing, important fields are hidden.",
                  "The search finds the wrong accounts.",
                  "The screens look old and it is easy to get lost in the menus.",
                  "There are too many mandatory fields on the opportunity form."),
    "speed": ("The CRM is slow in the mornings.",
              "Some lists take minutes to load.",
              "Saving a record sometimes takes very long or times out.",
              "Performance drops every time the whole team logs in.",
              "The outage in June cost us days of work."),
    "data quality": ("There are many duplicate contacts and I never know which one is right.",
                     "Phone numbers and e-mails are often missing or out of date.",
                     "Country names are typed in different ways, so filters miss customers.",
                     "I do not trust the numbers in the pipeline.",
                     "The same customer appears as a duplicate under two names."),
    "mobile": ("I cannot update opportunities from my phone on customer visits.",
               "The mobile app is missing most of the features we need.",
               "A usable mobile version would save me an hour a day.",
               "On site visits I take notes on paper because my phone shows nothing useful.",
               "The mobile pages do not load in the warehouse."),
    "integration": ("The CRM does not talk to our e-mail, so I copy messages by hand.",
                    "We still export campaign lists to a spreadsheet every week.",
                    "Orders from the ERP do not show up in the CRM.",
                    "Invoices live in the ERP and I look them up twice.",
                    "I keep a spreadsheet next to the CRM because nothing is linked."),
    "reports": ("I cannot get the report I need without asking IT.",
                "The standard reports do not match how we measure our targets.",
                "I would like a dashboard per region.",
                "Building a report for my manager takes half a day.",
                "The dashboard numbers do not match the finance figures."),
    "praise": ("The CRM has made it much easier to follow up with customers.",
               "Having all customer history in one place is a big improvement.",
               "Since the last update the system is much nicer to work with.",
               "Good tool, our weekly meeting runs on it now.",
               "Planning visits is easier now that everything is in one system."),
}


# Openers and endings by the respondent's satisfaction (low, middle, high): a complaint
# sounds harsher from an unhappy user, praise more guarded.
COMPLAINT_WORDS = (
    (("Honestly, ", "Really frustrating: ", "Every week the same problem: ", ""),
     ("", " It costs me time every day.", " It has been like this for months.",
      " Colleagues say the same.")),
    (("", "In short: ", "For me, ", "One issue: "),
     ("", "", " Please fix this.", " It holds the whole team back.")),
    (("Mostly fine, but ", "A small point: ", "Minor thing: ", ""),
     ("", " Otherwise it works well.", " Not urgent.", "")),
)


PRAISE_WORDS = (
    (("To be fair, ", "Despite some problems, ", "", ""), ("", " Still a lot to fix.", "", "")),
    (("", "Overall, ", "", "I must say "), ("", "", " Thanks to the CRM team.", "")),
    (("", "Overall, ", "Honestly, ", ""), ("", " Keep it up.", " Thanks to the CRM team.", "")),
)


def _compose_comments(rng, theme: np.ndarray, core: np.ndarray, satisfaction: np.ndarray
                      ) -> np.ndarray:
    """Comment texts: opener + core sentence (``COMMENT_THEMES[theme][core]``) + ending, the
    opener and ending drawn from the words for the respondent's satisfaction level (below
    0.5, 0.5-0.65, above 0.65), so the tone follows the score. ``rng`` draws only here."""
    level = np.digitize(satisfaction, (0.5, 0.65))
    praise = theme == list(COMMENT_THEMES).index("praise")
    k = len(theme)
    which = rng.integers(0, 4, (2, k))
    words = np.array([PRAISE_WORDS, COMPLAINT_WORDS], dtype=object)  # (2, 3, 2, 4)
    opener = words[np.where(praise, 0, 1), level, 0, which[0]]
    ending = words[np.where(praise, 0, 1), level, 1, which[1]]
    table = np.array(list(COMMENT_THEMES.values()), dtype=object)  # (themes, 5)
    lowered = np.array([[c if c.startswith("I ") else c[0].lower() + c[1:] for c in row]
                        for row in table], dtype=object)
    return opener + np.where(opener == "", table[theme, core], lowered[theme, core]) + ending


def survey_table(rng, words, users, engagement, waves, end, effect) -> pd.DataFrame:
    """The two survey waves' answers (SUS, Likert items, comments); ``rng``: the answers' random
    stream; ``words``: the comments' own stream; ``users``: the generated users; ``engagement``:
    each user's inclination to use the CRM (shared with the usage log); ``waves``: the days the
    waves are sent; ``effect``: scale of the improvements' effect (0: none)."""
    nu = len(users)
    dept = users.department.to_numpy()
    level = pd.Series(dept).map({"sales": .60, "service": .64, "marketing": .47,
                                 "management": .66}).to_numpy()
    level = (level - 0.12 * (users.team.to_numpy() == "Sales East") + 0.06 * engagement
             + rng.normal(0, 0.05, nu))
    treated = np.isin(users.region.to_numpy(), TREATED_REGIONS) & np.isin(dept, ("sales",
                                                                                 "service"))
    frames = []
    for w, sent in enumerate(waves, start=1):  # two waves
        invited = users.licence_start.to_numpy(dtype="datetime64[D]") <= sent
        rate = np.where(dept == "marketing", 0.55, 0.72)
        answered = np.flatnonzero(invited & (rng.random(nu) < rate))
        k = len(answered)
        boost = (w == 2) * treated[answered] * 0.08 * effect
        s = np.clip(level[answered] + boost + rng.normal(0, 0.05, k), 0.02, 0.98)
        row = {"wave": w, "user_id": users.user_id.to_numpy()[answered],
               "submitted_date": np.minimum(sent + as_days(rng.geometric(0.35, k) - 1), end)}
        offsets = {"q_easy_to_use": 0, "q_helps_my_work": .05, "q_trust_data": -.1,
                   "q_enough_training": -.15, "q_fast_enough": -.05}
        for item in LIKERT_ITEMS:
            extra = boost * 2 if item == "q_enough_training" else 0
            row[item] = np.clip(np.round(1 + 4 * (s + offsets[item] + extra)
                                         + rng.normal(0, 0.6, k)), 1, 5).astype(int)
        for i, item in enumerate(SUS_ITEMS, start=1):
            centre = 1 + 4 * s if i % 2 else 5 - 4 * s
            row[item] = np.clip(np.round(centre + rng.normal(0, 0.7, k)), 1, 5).astype(int)
        row["nps"] = np.clip(np.round(10 * s + 1 + rng.normal(0, 1.5, k)), 0, 10).astype(int)
        themes = list(COMMENT_THEMES)
        weights = np.tile([.30, .22, .10, .12, .07, .07, .05, .07], (k, 1))
        weights[:, themes.index("praise")] *= 2 * s
        d = dept[answered]
        weights[:, themes.index("integration")] *= np.where(d == "marketing", 2.5, 1)
        weights[:, themes.index("reports")] *= np.where(d == "marketing", 2.0, 1)
        weights[:, themes.index("training")] *= np.where(users.team.to_numpy()[answered]
                                                        == "Sales East", 1.8, 1)
        if w == 2:
            t = treated[answered]
            weights[:, themes.index("training")] *= np.where(t, 1 - 0.5 * effect, 1)
            weights[:, themes.index("interface")] *= np.where(t, 1 - 0.4 * effect, 1)
            weights[:, themes.index("praise")] *= np.where(t, 1 + effect, 1)
        cum = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
        theme = (rng.random((k, 1)) > cum).sum(axis=1)
        theme = np.minimum(theme, len(themes) - 1)
        comment = _compose_comments(words, theme, rng.integers(0, 5, k), s)
        row["comment"] = np.where(rng.random(k) < 0.5, comment, None)
        frames.append(pd.DataFrame(row))
    survey = pd.concat(frames, ignore_index=True)
    survey.insert(0, "response_id", make_ids("R", len(survey), 4))
    return survey
