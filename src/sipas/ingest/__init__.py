"""Survey data in: readers (CSV, XLSX, Kobo, ODK Central, SPSS), validation against a framework,
problem reports, double entry and XLSForm export. Pure: files and frames in, frames and reports out."""

from sipas.ingest.columns import map_columns, xlsform_name
from sipas.ingest.problems import IngestReport, Problem
from sipas.ingest.readers import Source, read_source
from sipas.ingest.validate import Checked, Options, Validator

__all__ = [
    "Checked",
    "IngestReport",
    "Options",
    "Problem",
    "Source",
    "Validator",
    "map_columns",
    "read_source",
    "xlsform_name",
]
