"""crm_course: the helper package of the course "Evaluate and continuously improve your CRM"."""

from importlib.metadata import PackageNotFoundError, version

from .data import CRM, DataError, load_crm
from .notebook import load_ipython_extension

try:
    __version__ = version("crm-course")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0"

__all__ = ["CRM", "DataError", "load_crm", "load_ipython_extension", "__version__"]
