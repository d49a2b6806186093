"""Loss reasons and competitors named on closed opportunities."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..schema import (
    COMPETITOR_LOSS,
    LOSS_REASONS,
)
from .draws import draw_from
from .profile import COMPETITORS

# Lost deals' reasons; a competitor's share among the deals each outcome names one for
# (won deals name the weaker ones more often: their win rates differ); chance that a
# rep names a competitor on a won deal, or on a deal lost for another reason.
LOSS_REASON_SHARES = (0.25, 0.35, 0.2, 0.1, 0.1)


COMPETITOR_WHEN_LOST = (0.45, 0.3, 0.15, 0.1)


COMPETITOR_WHEN_WON = (0.2, 0.25, 0.3, 0.25)


COMPETITOR_NAMED = {"won": 0.35, "lost": 0.15}


def with_competition(rng, opportunities: pd.DataFrame) -> pd.DataFrame:
    """``loss_reason`` and ``competitor`` of each deal closed by the data's end: a reason
    for every lost deal; the competitor for every 'lost to a competitor' and for some
    other closed deals (`COMPETITOR_NAMED`). Draws only from ``rng``. ``rng``: the table's random
    stream; ``opportunities``: the generated deals."""
    n = len(opportunities)
    stage = opportunities.stage.to_numpy(dtype=object)
    won, lost = stage == "won", stage == "lost"
    reason = np.where(lost, draw_from(rng, LOSS_REASONS, LOSS_REASON_SHARES, n), None)
    named = np.where(won, rng.random(n) < COMPETITOR_NAMED["won"],
                     lost & (rng.random(n) < COMPETITOR_NAMED["lost"]))
    named |= reason == COMPETITOR_LOSS
    rival = np.where(won, draw_from(rng, COMPETITORS, COMPETITOR_WHEN_WON, n),
                     draw_from(rng, COMPETITORS, COMPETITOR_WHEN_LOST, n))
    return opportunities.assign(loss_reason=reason, competitor=np.where(named, rival, None))
