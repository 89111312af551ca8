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
    Column("stage", String(16), nullable=False),  # self | appraisal1 | appraisal2 | final
    Column("points", Float, nullable=False),
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
