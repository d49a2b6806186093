"""crm_course.importer: bring your own CRM. Turn a real CRM export into a course dataset.

``import_export(source_dir, mapping, out_dir)`` reads the export's CSV files, maps their
columns and labels to the course schema through a mapping (``mappings/salesforce.yml``,
``mappings/hubspot.yml``, or your own written from ``mappings/TEMPLATE.yml``), writes a
dataset that `crm_course.data.load_crm` validates, and reports what was mapped, what is
missing, and every row dropped and why (``import_report.md``). Tables the export does
not have (usage log, survey, change log, KPI targets ...) are written with their header
only. ``pseudonymise=True`` replaces names, e-mails and phones by keyed hashes.

A mapping maps at least users, accounts and opportunities (`mapping.CORE_TABLES`); an
export needs the files of accounts and opportunities, and without the users file every
deal and ticket is kept under a placeholder owner (`keys`; the per-rep KPIs are then
not measured). Every other table may be absent or empty. Amounts in several currencies
are converted with a rates file or refused (`currency`); zone-less timestamps take the
zone the mapping declares (``timestamps: utc|local``). What the import did is also data:
``dataset.json`` key ``import`` (`crm_course.data.CRM.provenance`).

From the command line: ``crm-course data import --from DIR --mapping salesforce --out DIR``
(``--rates FILE``, ``--time-zone ZONE``), or ``--init-mapping my.yml`` for a starter
mapping (`starter`).
"""

from .convert import import_export
from .mapping import MappingError, load_mapping
from .report import ImportReport

__all__ = ["ImportReport", "MappingError", "import_export", "load_mapping"]
