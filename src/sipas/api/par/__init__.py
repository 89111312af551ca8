"""PAR INDEX campaigns: self-assessment → lock → appraisal → explanation → appraisal → final → results.

- :mod:`.campaigns` — actors and roles, opening a campaign, assignments, moving through stages;
- :mod:`.access` — who may read and write which unit and area;
- :mod:`.scores` — every write, checked and audited; locking; evidence files; SIPAS-fed leaves;
- :mod:`.views` — score sheets, audit history, results recomputed from the stored scores;
- :mod:`.sheets` — scores in and out of the ministry's Excel layout and CSV.
"""

from sipas.api.par.access import ensure_may_read, may_read, writable_stage
from sipas.api.par.campaigns import (
    ASSIGNMENT_ROLES,
    ROLES,
    Actor,
    Campaign,
    advance,
    assign,
    create_campaign,
    list_campaigns,
    open_campaign,
    read_units_file,
    show_campaign,
)
from sipas.api.par.scores import (
    EVIDENCE_TYPES,
    MAX_EVIDENCE_BYTES,
    LeavesWritten,
    evidence_file,
    fill_from_sipas,
    list_evidence,
    lock,
    upload_evidence,
    write_leaves,
    write_score,
    write_scores,
)
from sipas.api.par.sheets import export_scores, import_scores
from sipas.api.par.views import (
    campaign_units,
    can_read,
    history,
    results,
    unit_scores,
    unit_workspace,
)
from sipas.api.par.whatif import parse_changes, parse_target, whatif

__all__ = [
    "ASSIGNMENT_ROLES",
    "EVIDENCE_TYPES",
    "MAX_EVIDENCE_BYTES",
    "ROLES",
    "Actor",
    "Campaign",
    "LeavesWritten",
    "advance",
    "assign",
    "campaign_units",
    "can_read",
    "create_campaign",
    "ensure_may_read",
    "evidence_file",
    "export_scores",
    "fill_from_sipas",
    "history",
    "import_scores",
    "list_campaigns",
    "list_evidence",
    "lock",
    "may_read",
    "open_campaign",
    "parse_changes",
    "parse_target",
    "read_units_file",
    "results",
    "show_campaign",
    "unit_scores",
    "unit_workspace",
    "upload_evidence",
    "whatif",
    "writable_stage",
    "write_leaves",
    "write_score",
    "write_scores",
]
