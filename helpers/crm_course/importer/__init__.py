"""crm_course.importer: bring your own CRM. Turn a real CRM export into a course dataset.

``import_export(source_dir, mapping, out_dir)`` reads the export's CSV files, maps their
columns and labels to the course schema through a mapping (``mappings/salesforce.yml``,
``mappings/hubspot.yml``, or your own written from ``mappings/TEMPLATE.yml``), writes a
dataset that `crm_course.data.load_crm` validates, and reports what was mapped, what is
missing, and every row dropped and why (``import_report.md``). Tables the export does
not have (usage log, survey, change log, KPI targets ...) are written with their header
only. ``pseudonymise=True`` replaces names, e-mails and phones by keyed hashes.

From the command line: ``crm-course data import --from DIR --mapping salesforce --out DIR``.
"""

from .convert import import_export
from .mapping import MappingError, load_mapping
from .report import ImportReport

__all__ = ["ImportReport", "MappingError", "import_export", "load_mapping"]
