"""Tables. The migrations in ``migrations/versions`` create exactly these; a test checks they agree."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

surveys = Table(
    "surveys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(80), nullable=False, unique=True),
    Column("framework_id", String(80), nullable=False),
    Column("framework_version", String(40), nullable=False),
    Column("year", Integer, nullable=False),
    Column("geography", String(8), nullable=False),  # "63" or "34"
    Column("reference_date", Date, nullable=False),
    Column("synthetic", Boolean, nullable=False, default=False),
    Column("description", Text, nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

responses = Table(
    "responses",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("survey_id", Integer, ForeignKey("surveys.id", ondelete="CASCADE"), nullable=False),
    Column("respondent_key", String(80), nullable=False),
    Column("province_code", String(4), nullable=False),
    Column("province_key", String(20), nullable=False),  # code@valid_from: codes alone are reused
    Column("commune", String(40), nullable=False),
    Column("village", String(40), nullable=False),
    Column("stratum", String(40), nullable=False),
    Column("psu", String(40), nullable=False),
    Column("weight", Float, nullable=False),
    Column("interview_date", Date, nullable=True),
    Column("profile", JSON, nullable=False),  # respondent profile: sex, age band, …
    Column("answers", JSON, nullable=False),  # question/item code → answer (null = blank)
    UniqueConstraint("survey_id", "respondent_key"),
    Index(None, "survey_id", "province_code"),
)

par_campaigns = Table(
    "par_campaigns",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(80), nullable=False, unique=True),
    Column("framework_id", String(80), nullable=False),
    Column("framework_version", String(40), nullable=False),
    Column("year", Integer, nullable=False),
    Column("geography", String(8), nullable=False),
    Column("synthetic", Boolean, nullable=False, default=False),
    Column("description", Text, nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # The framework as it was when the campaign opened, so results stay reproducible.
    Column("framework", JSON, nullable=True),
    Column("deadline", DateTime(timezone=True), nullable=True),  # self-assessment lock
    Column("stage", String(16), nullable=False, default="self"),
    Column("previous_code", String(80), nullable=True),  # the campaign change is measured on
)

par_units = Table(
    "par_units",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "campaign_id", Integer, ForeignKey("par_campaigns.id", ondelete="CASCADE"), nullable=False
    ),
    Column("unit_code", String(40), nullable=False),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False),  # province | department | commune | ministry
    Column("province_code", String(4), nullable=True),  # the province a unit belongs to
    Column("locked_at", DateTime(timezone=True), nullable=True),
    Column("locked_by", String(120), nullable=True),
    UniqueConstraint("campaign_id", "unit_code"),
)

par_assignments = Table(
    "par_assignments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "campaign_id", Integer, ForeignKey("par_campaigns.id", ondelete="CASCADE"), nullable=False
    ),
    Column("user_name", String(120), nullable=False),
    Column("role", String(20), nullable=False),  # self_assessor | appraiser
    Column("unit_code", String(40), nullable=True),  # None = every unit
    Column("node_code", String(40), nullable=True),  # None = every area
    UniqueConstraint(
        "campaign_id",
        "user_name",
        "role",
        "unit_code",
        "node_code",
        name="uq_par_assignments_scope",
    ),
)

par_evidence = Table(
    "par_evidence",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "campaign_id", Integer, ForeignKey("par_campaigns.id", ondelete="CASCADE"), nullable=False
    ),
    Column("unit_code", String(40), nullable=False),
    Column("node_code", String(40), nullable=False),
    Column("filename", String(255), nullable=False),
    Column("media_type", String(120), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("uploaded_by", String(120), nullable=False),
    Column("uploaded_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("campaign_id", "unit_code", "node_code", "sha256"),
)

par_scores = Table(
    "par_scores",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "campaign_id", Integer, ForeignKey("par_campaigns.id", ondelete="CASCADE"), nullable=False
    ),
    Column("unit_code", String(40), nullable=False),
    Column("node_code", String(40), nullable=False),
    # self | appraisal1 | explanation | appraisal2 | final
    Column("stage", String(16), nullable=False),
    Column("points", Float, nullable=True),  # None = not applicable, or an explanation only
    Column("value", JSON, nullable=True),  # the rubric's input (a rate, a status, answer counts)
    Column("applicable", Boolean, nullable=False, default=True),
    Column("note", Text, nullable=True),
    Column("reason", Text, nullable=True),  # why an appraisal changed the score
    Column("actor", String(120), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("campaign_id", "unit_code", "node_code", "stage"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(120), nullable=False),
    Column("action", String(80), nullable=False),
    Column("entity", String(80), nullable=False),
    Column("entity_id", String(120), nullable=False),
    Column("before", JSON, nullable=True),
    Column("after", JSON, nullable=True),
    Column("reason", Text, nullable=True),
)

estimation_runs = Table(
    "estimation_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(120), nullable=False, unique=True),
    Column("survey_id", Integer, ForeignKey("surveys.id", ondelete="CASCADE"), nullable=True),
    Column("source", Text, nullable=False),  # a file path or "survey:<code>"
    Column("framework_id", String(80), nullable=False),
    Column("framework_version", String(40), nullable=False),
    Column("unit", String(80), nullable=False),  # the column whose cells are ranked
    Column("method", String(80), nullable=False),  # replicate method label
    Column("options", JSON, nullable=False),  # design columns, seed, lonely-PSU rule, domains
    Column("derived", Boolean, nullable=False, default=False),  # re-aggregated to another geography
    Column("synthetic", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

estimates = Table(
    "estimates",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", Integer, ForeignKey("estimation_runs.id", ondelete="CASCADE"), nullable=False),
    Column("partition", String(120), nullable=False),
    Column("cell", String(200), nullable=False),
    Column("indicator", String(80), nullable=False),
    Column("level", String(16), nullable=False),
    Column("estimate", Float, nullable=True),
    Column("se", Float, nullable=True),
    Column("ci_low", Float, nullable=True),
    Column("ci_high", Float, nullable=True),
    Column("n", Integer, nullable=False),
    Column("deff", Float, nullable=True),
    Column("cv", Float, nullable=True),
    Column("n_eff", Float, nullable=True),
    Column("unstable", Boolean, nullable=False),
    Column("se_method", String(80), nullable=False),
    Column("rank", Integer, nullable=True),  # among the units, for the ranked levels
    Column("rank_low", Integer, nullable=True),
    Column("rank_high", Integer, nullable=True),
    UniqueConstraint("run_id", "partition", "cell", "indicator"),
)

# Survey data in (sipas.ingest): one row per import of a file, the rows it quarantined with their
# reasons, and the quality flags of accepted rows.
import_batches = Table(
    "import_batches",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("survey_id", Integer, ForeignKey("surveys.id", ondelete="CASCADE"), nullable=False),
    Column("source", Text, nullable=False),  # the file's name, or "demo"
    Column("sha256", String(64), nullable=True),  # of the file's bytes
    Column("format", String(200), nullable=False),
    Column("framework_id", String(80), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("accepted", Integer, nullable=False),
    Column("quarantined", Integer, nullable=False),
    Column("inserted", Integer, nullable=False),
    Column("unchanged", Integer, nullable=False),
    Column("flagged", Integer, nullable=False),
    Column("summary", JSON, nullable=False),  # problem counts by code
    Column("actor", String(120), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

quarantined_rows = Table(
    "quarantined_rows",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("survey_id", Integer, ForeignKey("surveys.id", ondelete="CASCADE"), nullable=False),
    Column(
        "batch_id", Integer, ForeignKey("import_batches.id", ondelete="CASCADE"), nullable=False
    ),
    Column("respondent_key", String(200), nullable=True),
    Column("file_row", Integer, nullable=True),
    Column("row_hash", String(64), nullable=False),  # of the row's cells: one entry per bad row
    Column("data", JSON, nullable=False),  # the row as the file has it (column → cell)
    Column("reasons", JSON, nullable=False),  # problems: field, code, message, hint
    Column("status", String(16), nullable=False),  # open | resolved
    Column("resolved_batch_id", Integer, nullable=True),
    UniqueConstraint("survey_id", "row_hash"),
    Index(None, "survey_id", "respondent_key"),
)

response_flags = Table(
    "response_flags",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("survey_id", Integer, ForeignKey("surveys.id", ondelete="CASCADE"), nullable=False),
    Column(
        "batch_id", Integer, ForeignKey("import_batches.id", ondelete="CASCADE"), nullable=False
    ),
    Column("respondent_key", String(80), nullable=False),
    Column("code", String(40), nullable=False),  # quality.straight_lining, quality.too_fast
    Column("message", Text, nullable=False),  # in English, as the flag was raised
    Column("message_values", JSON, nullable=True),  # the code's values (None: stored before 0007)
    UniqueConstraint("survey_id", "respondent_key", "code"),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(120), nullable=False, unique=True),  # the login name
    Column("display_name", String(200), nullable=False, default=""),
    Column("role", String(20), nullable=False),  # admin | analyst | officer | appraiser | clerk
    Column("province_code", String(4), nullable=True),  # an officer's province
    Column("password_hash", String(255), nullable=False),  # argon2id
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Carried by every session cookie; raised to end all of the user's sessions at once.
    Column("session_epoch", Integer, nullable=False, default=0, server_default="0"),
)

# Failed sign-ins in a row, per account name as typed ("account:…") and per client address
# ("address:…"); an attempt is counted before its password is checked (one atomic UPDATE), so
# parallel attempts cannot overwrite each other's count.
login_throttle = Table(
    "login_throttle",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_at", DateTime(timezone=True), nullable=True),
    Column("blocked_until", DateTime(timezone=True), nullable=True),
)

# One-time invitations to answer a survey on the web. The token itself is never stored, only its
# SHA-256; the row carries the sample design values of the sampled person, the respondent's draft
# (save and resume) and, once used, when the response was submitted.
survey_invitations = Table(
    "survey_invitations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("survey_id", Integer, ForeignKey("surveys.id", ondelete="CASCADE"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("respondent_key", String(80), nullable=False),  # the response's key in the survey
    Column("province_code", String(4), nullable=False),
    Column("commune", String(40), nullable=False, default=""),
    Column("village", String(40), nullable=False, default=""),
    Column("stratum", String(40), nullable=False),
    Column("psu", String(40), nullable=False),
    Column("weight", Float, nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(120), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("draft", JSON, nullable=True),  # field → answer as typed, kept between visits
    Column("draft_saved_at", DateTime(timezone=True), nullable=True),
    Column("submitted_at", DateTime(timezone=True), nullable=True),  # set once: single use
    UniqueConstraint("survey_id", "respondent_key"),
)

# Remediation plans ("kế hoạch khắc phục"): what a province does about a weakness found in a
# year's results (a SIPAS item or component, a PAR node, a service-index indicator), by whom, by
# when, and with what evidence; every change is also in the audit log.
actions = Table(
    "actions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("province_code", String(4), nullable=False),
    Column("province_key", String(20), nullable=False),  # code@valid_from
    Column("year", Integer, nullable=False),  # the year of the results the weakness is read from
    Column("index_kind", String(16), nullable=False),  # sipas | par | service
    Column("framework_id", String(80), nullable=False),
    Column("source", String(120), nullable=True),  # the PAR campaign the node is read from
    Column("indicator", String(80), nullable=False),  # an item, node or indicator code
    Column("target", Text, nullable=True),  # the aim ("chỉ tiêu"), as the province writes it
    Column("task", Text, nullable=False),  # the solution or task
    Column("owner", String(200), nullable=False),  # the department or commune in charge
    Column("deadline", Date, nullable=False),
    Column("status", String(16), nullable=False),  # planned | in_progress | done | dropped
    Column("evidence", Text, nullable=True),
    Column("evidence_url", String(500), nullable=True),
    Column("created_by", String(120), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(120), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=True),
    Index(None, "province_code", "year"),
)

# Published results imported from the ministry's tables (the built-in public figures are package
# data, not rows). One row per figure: a unit's index (node "") or one of its sub-values. The
# value is NULL when the table gave a rank without a value — missing, never 0.
published_results = Table(
    "published_results",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("index_id", String(80), nullable=False),  # sipas | par | service-766 | a framework id
    Column("year", Integer, nullable=False),
    Column("unit", String(40), nullable=False),  # province code, ministry code, national, …
    Column("node", String(200), nullable=False, default=""),
    Column("value", Float, nullable=True),
    Column("rank", Integer, nullable=True),
    Column("group_name", String(20), nullable=True),
    Column("change", Float, nullable=True),
    Column("rank_change", Integer, nullable=True),
    Column("source", Text, nullable=False, default=""),
    Column("note", Text, nullable=False, default=""),
    Column("report", String(40), nullable=False, default=""),
    Column("origin", String(200), nullable=False),  # the imported file's name
    Column("imported_by", String(120), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("index_id", "year", "unit", "node", "report", "origin"),
    Index("ix_published_results_index_id_year", "index_id", "year"),
)
