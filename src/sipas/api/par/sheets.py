"""PAR scores in and out of files: the ministry's Excel layout, and tidy CSV."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from sipas.api.par.access import ensure_may_read
from sipas.api.par.campaigns import Actor, open_campaign
from sipas.api.par.scores import ScoresWritten, write_scores
from sipas.api.par.views import results
from sipas.errors import SipasError
from sipas.messages import Phrase
from sipas.par.excel import UnitSheet, export_scores_xlsx, read_scores_xlsx
from sipas.store import Database
from sipas.store import par as store

CSV_COLUMNS = ("unit_code", "node_code", "points", "value", "applicable", "note", "reason")


def export_scores(db: Database, actor: Actor, campaign_code: str, unit: str | None = None) -> bytes:
    """The campaign's score sheets (one unit, or every unit the actor may read) as .xlsx bytes."""
    with db.begin() as connection:
        campaign = open_campaign(connection, campaign_code)
        wanted = [unit] if unit is not None else list(campaign.units)
        if unit is not None:
            ensure_may_read(connection, actor, campaign, unit)
        else:
            wanted = [u for u in wanted if _readable(connection, actor, campaign, u)]
        rows = store.load_scores(connection, campaign.id)
    node_index: dict[str, dict[str, float]] = {}
    if campaign.stage == "final":
        computed = results(db, campaign_code, with_nodes=True)
        for entry in computed["nodes"]:
            if entry["index"] is not None:
                node_index.setdefault(entry["unit"], {})[entry["node"]] = entry["index"]
    scores: dict[str, dict[str, dict[str, float | None]]] = {}
    notes: dict[str, dict[str, str]] = {}
    not_applicable: dict[str, set[tuple[str, str]]] = {}
    for row in rows:
        if row["applicable"] is not None and not row["applicable"]:
            not_applicable.setdefault(row["unit_code"], set()).add((row["node_code"], row["stage"]))
        scores.setdefault(row["unit_code"], {}).setdefault(row["node_code"], {})[row["stage"]] = (
            row["points"]
        )
        text = row["reason"] if row["stage"].startswith("appraisal") else row["note"]
        if text and row["stage"] != "final":
            notes.setdefault(row["unit_code"], {})[row["node_code"]] = text
    sheets = [
        UnitSheet(
            code=code,
            name=campaign.units[code]["name"],
            scores=scores.get(code, {}),
            notes=notes.get(code, {}),
            node_index=node_index.get(code, {}),
            not_applicable=frozenset(not_applicable.get(code, set())),
        )
        for code in wanted
    ]
    title = f"{campaign.framework.title.vi} — {campaign.row['year']}"
    return export_scores_xlsx(campaign.framework, title, sheets)


def _readable(connection: Any, actor: Actor, campaign: Any, unit: str) -> bool:
    try:
        ensure_may_read(connection, actor, campaign, unit)
    except SipasError:
        return False
    return True


def _csv_entries(path: Path) -> list[dict[str, Any]]:
    frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in ("unit_code", "node_code") if c not in frame.columns]
    if missing or not {"points", "value"} & set(frame.columns):
        absent = missing[0] if missing else "points | value"
        raise SipasError("par.csv_layout", file=path.name, column=absent, columns=list(CSV_COLUMNS))
    entries = []
    for number, record in enumerate(frame.to_dict(orient="records"), start=2):
        entry: dict[str, Any] = {
            "unit": record["unit_code"].strip(),
            "node": record["node_code"].strip(),
            "row": number,
        }
        if record.get("points", "").strip():
            entry["points"] = record["points"].strip()
        if record.get("value", "").strip():
            raw = record["value"].strip()
            try:
                entry["value"] = json.loads(raw) if raw[:1] in "{[" else raw
            except json.JSONDecodeError:
                raise SipasError(
                    "par.csv_value", file=path.name, row=number, value=raw[:40]
                ) from None
        if record.get("applicable", "").strip().lower() in {"0", "no", "false", "không"}:
            entry["applicable"] = False
        for field in ("note", "reason"):
            if record.get(field, "").strip():
                entry[field] = record[field].strip()
        if "points" in entry or "value" in entry or entry.get("applicable") is False:
            entries.append(entry)
    return entries


class ScoresImported(ScoresWritten):
    """Scores of one stage saved from a file, and the file's name."""

    file: str


def import_scores(
    db: Database, actor: Actor, campaign_code: str, path: Path, stage: str
) -> ScoresImported:
    """Scores of one stage from a file; all or nothing, each refusal naming its sheet and row."""
    if not path.exists():
        raise SipasError("par.file_missing", path=path)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        with db.begin() as connection:
            framework = open_campaign(connection, campaign_code).framework
        entries = read_scores_xlsx(path, framework, stage, path.name)
    elif suffix == ".csv":
        entries = _csv_entries(path)
    else:
        raise SipasError(
            "par.file_type", file=path.name, suffix=suffix or Phrase("par.no_extension")
        )
    if not entries:
        raise SipasError("par.file_empty", file=path.name, stage=stage)
    summary = write_scores(db, actor, campaign_code, stage, entries)
    return {**summary, "file": path.name}
