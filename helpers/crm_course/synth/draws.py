"""Small helpers every generator shares: row counts by scale, weighted draws, ids,
log-normal draws and day arithmetic on numpy dates."""

from __future__ import annotations

import numpy as np


def scaled(base: float, scale: float) -> int:
    """Rows for ``base`` at ``scale``: round(base * scale), at least 1."""
    return max(1, int(round(base * scale)))


def draw_from(rng: np.random.Generator, options, probs, size: int) -> np.ndarray:
    """``size`` draws from ``options`` with weights ``probs`` (normalised to sum 1). ``rng``: the
    random stream."""
    p = np.asarray(probs, dtype=float)
    return np.asarray(options, dtype=object)[rng.choice(len(options), size=size, p=p / p.sum())]


def make_ids(prefix: str, n: int, width: int) -> np.ndarray:
    """``prefix`` + 1..n zero-padded to ``width`` digits (e.g. U0001). ``n``: how many."""
    return np.char.add(prefix, np.char.zfill(np.arange(1, n + 1).astype(str), width))


def id_width(n: int, minimum: int = 4) -> int:
    """Digits an id needs for ``n`` rows, at least ``minimum``."""
    return max(minimum, len(str(n)))


def lognormal_around(rng, median, sigma, size):
    """Log-normal draws with the given ``median`` and log-scale ``sigma``. ``rng``: the random
    stream; ``size``: how many."""
    return rng.lognormal(np.log(median), sigma, size)


def as_days(n) -> np.ndarray:
    """``n`` rounded to whole days, as numpy timedeltas."""
    return np.asarray(np.round(n), dtype=np.int64).astype("timedelta64[D]")


def roll_busday(d: np.ndarray, last: np.datetime64) -> np.ndarray:
    """Each date moved forward to a business day, never past ``last``. ``d``: the dates."""
    d = np.busday_offset(d.astype("datetime64[D]"), 0, roll="forward")
    return np.minimum(d, last)


def month_index(d: np.ndarray, start: np.datetime64) -> np.ndarray:
    """Months from ``start``'s month to each date's (0 for the first month). ``d``: the dates."""
    return (d.astype("datetime64[M]") - start.astype("datetime64[M]")).astype(np.int64)
