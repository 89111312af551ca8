"""Index frameworks as data: typed model, YAML loader, validator, Excel layout, built-ins."""

from sipas.frameworks.loader import dump_framework_yaml, parse_framework_text, read_framework_file
from sipas.frameworks.model import (
    IndexNode,
    ParFramework,
    ParNode,
    Rules,
    SurveyFramework,
    Text,
)
from sipas.frameworks.registry import (
    AnyFramework,
    builtin_ids,
    load_builtin,
    require_par,
    require_survey,
    resolve_framework,
)
from sipas.frameworks.report import Problem, ValidationReport
from sipas.frameworks.validate import scoring_gaps

__all__ = [
    "AnyFramework",
    "IndexNode",
    "ParFramework",
    "ParNode",
    "Problem",
    "Rules",
    "SurveyFramework",
    "Text",
    "ValidationReport",
    "builtin_ids",
    "dump_framework_yaml",
    "load_builtin",
    "parse_framework_text",
    "read_framework_file",
    "require_par",
    "require_survey",
    "resolve_framework",
    "scoring_gaps",
]
