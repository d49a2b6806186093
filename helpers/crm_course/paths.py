"""The course's one cache folder (generated datasets, parsed-table cache)."""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "CRM_COURSE_CACHE"


def cache_dir() -> Path:
    """``$CRM_COURSE_CACHE``, or ``~/.cache/crm-course``."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "crm-course")
