"""The course's environment variables: each ``CRM_COURSE_*`` variable the package reads is
named and read here, and every other module imports it from here.

``CRM_COURSE_CACHE``
    The one cache folder (generated datasets, parsed-table cache); default
    ``~/.cache/crm-course`` (`cache_dir`).
``CRM_COURSE_HOME``
    The learner's course folder (exercise event log, progress); default ``~/.crm-course``
    (`course_home`). The runner, the grader and the sandbox set it for the notebooks they
    run.
``CRM_COURSE_DATA``
    The dataset `data.load_crm` reads when given none; default the bundled sample
    (`data_setting`). The course's JupyterHub sets it to each learner's own dataset.
``CRM_COURSE_EXCHANGE``
    The submission exchange folder, set by the course's JupyterHub (`exchange_setting`).
``CRM_COURSE_SECRET``
    The key behind learner seeds, the importer's pseudonyms and the grader's redaction
    (`secret`); the hub never passes it to a learner.
``CRM_COURSE_HUB_LINK``
    The book's link to a notebook on the course hub, ``{path}`` standing for the notebook's
    path (`hub_link`); default: no link.

``CRM_COURSE_RESULTS``
    The grading results folder the dashboard's class tab opens, set by
    ``crm-course dashboard --results`` (`results_setting`).
``CRM_COURSE_START_DIR``
    The folder the dashboard's server was started from, where a relative data folder starts
    (`start_setting`).
``CRM_COURSE_FIRST_VIEW``
    The folder the dashboard's kernels write the first view to (`first_view_setting`).
``CRM_COURSE_RECENT``
    The file of the data folders the dashboard loaded, offered again in its Data box;
    default ``recent-folders.json`` in the cache folder (`recent_file`). The tests give
    each test its own, so a test's folders never reach the user's list.

`crm-course hub` sets ``CRM_COURSE_DIR``, ``CRM_COURSE_HUB_DIR`` and
``CRM_COURSE_INSTRUCTOR_PORT`` (`HUB_SETTINGS`) for the configuration files in
``deploy/jupyterhub``, which read them, with ``CRM_COURSE_INSTRUCTORS`` (`INSTRUCTORS_ENV`:
the hub users, comma-separated, who may open the instructor page), set by the hub's admin.
"""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "CRM_COURSE_CACHE"
HOME_ENV = "CRM_COURSE_HOME"
DATA_ENV = "CRM_COURSE_DATA"
EXCHANGE_ENV = "CRM_COURSE_EXCHANGE"
SECRET_ENV = "CRM_COURSE_SECRET"
HUB_LINK_ENV = "CRM_COURSE_HUB_LINK"
RESULTS_ENV = "CRM_COURSE_RESULTS"
START_ENV = "CRM_COURSE_START_DIR"
FIRST_VIEW_ENV = "CRM_COURSE_FIRST_VIEW"
RECENT_ENV = "CRM_COURSE_RECENT"
RECENT_FILE = "recent-folders.json"
INSTRUCTORS_ENV = "CRM_COURSE_INSTRUCTORS"  # read by deploy/jupyterhub/jupyterhub_config.py
# set by `crm-course hub` for deploy/jupyterhub's configuration: the course's checkout, the
# hub's state folder, the instructor page's port
HUB_SETTINGS = ("CRM_COURSE_DIR", "CRM_COURSE_HUB_DIR", "CRM_COURSE_INSTRUCTOR_PORT")


def cache_dir() -> Path:
    """``$CRM_COURSE_CACHE``, or ``~/.cache/crm-course``."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "crm-course")


def course_home() -> Path:
    """The learner's local course folder: ``$CRM_COURSE_HOME`` or ``~/.crm-course``."""
    return Path(os.environ.get(HOME_ENV) or Path.home() / ".crm-course")


def data_setting() -> str | None:
    """``$CRM_COURSE_DATA`` (the dataset to read when none is given), or None when unset."""
    return os.environ.get(DATA_ENV) or None


def exchange_setting() -> str | None:
    """``$CRM_COURSE_EXCHANGE`` (the submission exchange folder), or None when unset."""
    return os.environ.get(EXCHANGE_ENV) or None


def secret() -> str | None:
    """``$CRM_COURSE_SECRET`` (the course's key), or None when unset or empty."""
    return os.environ.get(SECRET_ENV) or None


def hub_link() -> str:
    """``$CRM_COURSE_HUB_LINK`` (a notebook's address on the hub, ``{path}`` for its path),
    or '' when unset."""
    return os.environ.get(HUB_LINK_ENV, "")


def results_setting() -> str | None:
    """``$CRM_COURSE_RESULTS`` (the class tab's grading results folder), or None when unset."""
    return os.environ.get(RESULTS_ENV) or None


def start_setting() -> str | None:
    """``$CRM_COURSE_START_DIR`` (the folder the dashboard's server was started from), or
    None when unset."""
    return os.environ.get(START_ENV) or None


def first_view_setting() -> str | None:
    """``$CRM_COURSE_FIRST_VIEW`` (the folder of the dashboard's first view), or None when
    unset."""
    return os.environ.get(FIRST_VIEW_ENV) or None


def recent_file() -> Path:
    """``$CRM_COURSE_RECENT`` (the dashboard's file of recent data folders), or
    ``recent-folders.json`` in `cache_dir`."""
    return Path(os.environ.get(RECENT_ENV) or cache_dir() / RECENT_FILE)
