"""Reports for callers: the api's results gathered into report documents, then rendered.

Every number in a report comes from the api: saved estimation runs (:func:`load_run`), their
year-over-year change (:func:`change_view`), strengths and weaknesses (:func:`diagnosis_view` on the
run re-estimated from its stored survey with the run's own options and seed), and PAR results
(:func:`sipas.api.par.results`, :func:`unit_scores`, :func:`history`). Rendering lives in
:mod:`sipas.reports` (data in, files out).
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from sipas import reports
from sipas.api.par import results
from sipas.api.par.campaigns import SYSTEM, Actor
from sipas.api.queries.par_report import par_national_document
from sipas.api.queries.report_data import YearContext, choose_run, saved_runs, year_context
from sipas.api.queries.report_documents import (
    appraisal_document,
    national_document,
    prepare_provinces,
    province_document,
    province_rows,
)
from sipas.errors import SipasError
from sipas.store import Database
from sipas.store import par as par_store

FORMATS = reports.FORMATS

__all__ = [
    "FORMATS",
    "YearContext",
    "all_province_reports",
    "appraisal_document",
    "appraisal_report",
    "choose_run",
    "default_name",
    "demo_reports",
    "national_document",
    "national_report",
    "par_national_document",
    "par_report",
    "province_document",
    "province_report",
    "write",
    "year_context",
]


# --- files -----------------------------------------------------------------------------------


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise SipasError("report.bad_format", format=fmt)


def write(doc: Mapping[str, Any], fmt: str, path: Path) -> Path:
    _check_format(fmt)
    path.parent.mkdir(parents=True, exist_ok=True)
    return reports.render(dict(doc), fmt, path)  # the renderers read a plain dict


def default_name(doc: Mapping[str, Any], fmt: str) -> str:
    if doc["kind"] == "national":
        return f"sipas-{doc['year']}-national-{doc['lang']}.{fmt}"
    if doc["kind"] == "province":
        return f"sipas-{doc['year']}-{doc['province']['code']}-{doc['lang']}.{fmt}"
    if doc["kind"] == "par_national":
        return f"par-{doc['campaign']}-national-{doc['lang']}.{fmt}"
    return f"par-{doc['campaign']}-{doc['unit']}-{doc['lang']}.{fmt}"


def national_report(
    db: Database, out: Path | None, *, fmt: str = "pdf", year: int | None = None,
    run: str | None = None, lang: str = "vi", par_campaign: str | None = None,
    sensitivity: bool = True,
) -> Path:  # fmt: skip
    """The national report; ``sensitivity=False`` leaves out the method sensitivity of ranks
    (the slowest part), saying so on the page."""
    _check_format(fmt)
    doc = national_document(
        year_context(db, year=year, run=run, lang=lang, par_campaign=par_campaign),
        sensitivity=sensitivity,
    )
    return write(doc, fmt, out or Path(default_name(doc, fmt)))


def province_report(
    db: Database, code: str, out: Path | None, *, fmt: str = "pdf", year: int | None = None,
    run: str | None = None, lang: str = "vi", par_campaign: str | None = None,
) -> Path:  # fmt: skip
    _check_format(fmt)
    ctx = year_context(db, year=year, run=run, lang=lang, par_campaign=par_campaign)
    doc = province_document(ctx, code.zfill(2))
    return write(doc, fmt, out or Path(default_name(doc, fmt)))


def appraisal_report(
    db: Database, campaign: str, unit: str, out: Path | None, *, fmt: str = "pdf",
    lang: str = "vi", actor: Actor = SYSTEM,
) -> Path:  # fmt: skip
    _check_format(fmt)
    doc = appraisal_document(db, campaign, unit, lang=lang, actor=actor)
    return write(doc, fmt, out or Path(default_name(doc, fmt)))


def par_report(
    db: Database, campaign: str, out: Path | None, *, lang: str = "vi", folder: Path | None = None
) -> Path:
    """The national PAR INDEX report of a final campaign; the file's suffix (.pdf, .html or .xlsx)
    chooses the format, PDF by default (named after the campaign in ``folder`` when no file is
    given)."""
    fmt = out.suffix.lower().lstrip(".") if out is not None and out.suffix else "pdf"
    _check_format(fmt)
    doc = par_national_document(db, campaign, lang=lang)
    return write(doc, fmt, out or (folder or Path()) / default_name(doc, fmt))


_SHARED: dict[str, Any] = {}  # the year's context, inherited by forked workers


def _province_file(code: str, fmt: str, folder: Path) -> Path:
    doc = province_document(_SHARED["ctx"], code)
    return write(doc, fmt, folder / default_name(doc, fmt))


def all_province_reports(
    db: Database, folder: Path, *, fmt: str = "pdf", year: int | None = None,
    run: str | None = None, lang: str = "vi", codes: Iterable[str] | None = None,
    par_campaign: str | None = None, workers: int | None = None,
) -> list[Path]:  # fmt: skip
    """Every province's report of a year: the year's data gathered once, then one file each.

    Files are rendered by ``workers`` processes (default: one per CPU, at most 8), forked after
    the data are gathered so that each inherits them; the database is not touched while
    rendering.
    """
    _check_format(fmt)
    ctx = year_context(db, year=year, run=run, lang=lang, par_campaign=par_campaign)
    wanted = list(codes) if codes is not None else [p["code"] for p in province_rows(ctx)]
    folder.mkdir(parents=True, exist_ok=True)
    count = workers if workers is not None else min(8, os.cpu_count() or 1)
    prepare_provinces(ctx)  # what every province's report shares, before the workers fork
    _SHARED["ctx"] = ctx
    try:
        if count <= 1 or len(wanted) <= 1 or "fork" not in mp.get_all_start_methods():
            return [_province_file(code, fmt, folder) for code in wanted]
        with ProcessPoolExecutor(count, mp_context=mp.get_context("fork")) as pool:
            return list(
                pool.map(_province_file, wanted, [fmt] * len(wanted), [folder] * len(wanted))
            )
    finally:
        _SHARED.clear()


def demo_reports(
    db: Database, folder: Path, *, year: int | None = None, lang: str = "vi"
) -> list[Path]:
    """What `sipas demo` writes: the national report and one province report (PDF and Excel) of
    the latest year, the national PAR INDEX report of the latest final round, and the appraisal
    report of that round's first unit."""
    years = [r["year"] for r in saved_runs(db) if r["year"] is not None and not r["derived"]]
    if not years:
        return []
    year = year or max(years)
    ctx = year_context(db, year=year, lang=lang)
    national = national_document(ctx)
    province = province_document(ctx, national["provinces"][0]["code"])
    written = []
    documents: tuple[Mapping[str, Any], ...] = (national, province)
    for doc in documents:
        for fmt in ("pdf", "xlsx"):
            written.append(write(doc, fmt, folder / default_name(doc, fmt)))
    with db.engine.connect() as connection:
        campaigns = [c for c in par_store.list_campaigns(connection) if c["stage"] == "final"]
    if campaigns:
        written.append(par_report(db, campaigns[-1]["code"], None, lang=lang, folder=folder))
        found = results(db, campaigns[-1]["code"])
        if found["units"]:
            appraisal = appraisal_document(
                db, campaigns[-1]["code"], found["units"][0]["unit"], lang=lang
            )
            written.append(write(appraisal, "pdf", folder / default_name(appraisal, "pdf")))
    return written
