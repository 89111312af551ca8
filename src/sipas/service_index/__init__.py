"""The real-time service-quality index (QĐ 766) from dossier records.

Records (dossiers, supplement cycles, complaints, the procedure catalogue) are checked row by row,
turned into facts and summed per period, unit and procedure with Ibis — on DuckDB in-process or on
Apache Spark — then scored against the indicator framework (``service-766`` built in, as data,
with the reconstruction ``service-766-split`` beside it).
"""

from sipas.service_index.engine import ENGINES, Dataset, Engine, connect, spark_session_for
from sipas.service_index.framework import (
    BUILTIN,
    Indicator,
    ServiceFramework,
    builtin_framework,
    builtin_ids,
    load_framework,
)
from sipas.service_index.incremental import affected_periods, with_change
from sipas.service_index.index import check_records, compute_index
from sipas.service_index.model import Period, parse_period, period_containing
from sipas.service_index.records import read_records, write_partitioned
from sipas.service_index.scoring import IndexResult

__all__ = [
    "BUILTIN",
    "ENGINES",
    "Dataset",
    "Engine",
    "IndexResult",
    "Indicator",
    "Period",
    "ServiceFramework",
    "affected_periods",
    "builtin_framework",
    "builtin_ids",
    "check_records",
    "compute_index",
    "connect",
    "load_framework",
    "parse_period",
    "period_containing",
    "read_records",
    "spark_session_for",
    "with_change",
    "write_partitioned",
]
