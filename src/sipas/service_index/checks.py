"""Row checks on dossier records, as Ibis expressions: each row's problems, and a validity flag.

The same checks serve ``sipas dossiers validate`` (every problem, one row each) and the index
computation (which keeps the valid rows and counts the others). Checks refer to the catalogue:
a unit or a procedure the catalogue does not know is a problem of the row.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis  # type: ignore[import-untyped, unused-ignore]
import ibis.expr.types as ir  # type: ignore[import-untyped, unused-ignore]

from sipas.service_index.model import (
    ENDED_STATUSES,
    OPEN_STATUSES,
    REQUIRED_DOSSIER_COLUMNS,
    STATUS,
)


@dataclass(frozen=True)
class Check:
    code: str
    field: str
    message: str
    hint: str


CHECKS = (
    *(
        Check(f"missing_{c}", c, f"{c} is empty", "fill it in: the index needs it")
        for c in REQUIRED_DOSSIER_COLUMNS
    ),
    Check("bad_status", "status", "status is not a code 1–10", "use the portal's status codes"),
    Check("bad_channel", "channel", "channel is not 1, 2 or 3", "1 in person, 2 online, 3 postal"),
    Check("unknown_unit", "unit_code", "unit not in the catalogue", "check the unit code"),
    Check(
        "unknown_procedure",
        "procedure_code",
        "procedure not in the unit's catalogue",
        "check the procedure code, or add it to the catalogue",
    ),
    Check(
        "received_before_submitted",
        "received_on",
        "received before it was submitted",
        "check both dates",
    ),
    Check("end_before_start", "ended_on", "ended before it was received", "check both dates"),
    Check("promised_before_start", "promised_on", "promised before it was received", "check dates"),
    Check(
        "ended_status_without_end",
        "ended_on",
        "status says ended (stopped, processed, returned) but there is no end date",
        "fill in the end date or correct the status",
    ),
    Check(
        "open_status_with_end",
        "status",
        "status says still open but there is an end date",
        "correct the status or clear the end date",
    ),
    Check("duplicate_id", "dossier_id", "the dossier id appears more than once", "keep one row"),
)


def with_catalogue(
    dossiers: ir.Table,
    catalogue: ir.Table,
    duplicates: ir.Table | None = None,
    *,
    tell_units: bool = True,
) -> ir.Table:
    """Dossiers with the catalogue's legal time and the procedure's online level at the unit
    (``_online_level``; and its ``_pair`` and ``_unit`` numbers, when the catalogue has them),
    and a flag per check (``_bad_<code>``). ``duplicates`` (one column ``_did``) are the
    ids known to repeat, from the dataset's id register; without it they are found among
    ``dossiers``. Without ``tell_units`` (for the index, which needs only ``_valid``) a row
    outside the catalogue is flagged ``unknown_procedure`` whether or not its unit is known:
    one join of every row fewer."""
    pairs = catalogue.select(
        _cu=catalogue.unit_code,
        _cp=catalogue.procedure_code,
        legal_days=catalogue.legal_days,
        _online_level=(
            catalogue.online_level
            if "online_level" in catalogue.columns
            else ibis.null().cast("int8")
        ),
        **{c: catalogue[c] for c in ("_pair", "_unit") if c in catalogue.columns},
    )
    units = catalogue.select(_uu=catalogue.unit_code).distinct()
    dups = duplicate_ids(dossiers) if duplicates is None else duplicates
    t = dossiers.left_join(
        pairs, [dossiers.unit_code == pairs._cu, dossiers.procedure_code == pairs._cp]
    )
    if tell_units:
        t = t.left_join(units, t.unit_code == units._uu)
    t = t.left_join(dups, t.dossier_id == dups._did)
    flags = _flags(t)
    valid = ibis.literal(True)
    for flag in flags.values():
        valid = valid & ~flag
    return t.mutate(**flags, _valid=valid).drop(
        "_cu", "_cp", "_did", *(["_uu"] if tell_units else [])
    )


def duplicate_ids(dossiers: ir.Table) -> ir.Table:
    """Ids on more than one row (``_did``): first by a hash of the id, then exactly among the
    few rows whose hash repeats, which is much cheaper than grouping every id."""
    hashed = dossiers.dossier_id.hash()
    repeated = (
        dossiers.group_by(_h=hashed).aggregate(_n=dossiers.count()).filter(lambda t: t._n > 1)
    )
    suspects = dossiers.filter(hashed.isin(repeated._h))
    return (
        suspects.group_by(_did=suspects.dossier_id)
        .aggregate(_n=suspects.count())
        .filter(lambda t: t._n > 1)
        .select("_did")
    )


def one_of(column: ir.IntegerValue, codes: tuple[int, ...]) -> ir.BooleanValue:
    """``column`` is one of ``codes``, as comparisons (engines turn long IN lists into joins)."""
    result = column == codes[0]
    for code in codes[1:]:
        result = result | (column == code)
    return result


def _flags(t: ir.Table) -> dict[str, ir.BooleanValue]:
    start = t.received_on.fill_null(t.submitted_on)
    raw: dict[str, ir.BooleanValue] = {
        f"missing_{c}": t[c].isnull() for c in REQUIRED_DOSSIER_COLUMNS
    }
    raw.update(
        bad_status=~t.status.between(min(STATUS), max(STATUS)),
        bad_channel=~t.channel.between(1, 3),
        unknown_unit=t._uu.isnull() if "_uu" in t.columns else ibis.literal(False),
        unknown_procedure=(t._uu.notnull() if "_uu" in t.columns else True) & t._cu.isnull(),
        received_before_submitted=t.received_on < t.submitted_on,
        end_before_start=t.ended_on < start,
        promised_before_start=t.promised_on < start,
        ended_status_without_end=one_of(t.status, ENDED_STATUSES) & t.ended_on.isnull(),
        open_status_with_end=one_of(t.status, OPEN_STATUSES) & t.ended_on.notnull(),
        duplicate_id=t._did.notnull(),
    )
    return {f"_bad_{code}": flag.fill_null(False) for code, flag in raw.items()}


def problems(flagged: ir.Table, row_column: str | None = None) -> ir.Table:
    """One row per problem: row (when the input has row numbers), dossier id, field, code, message."""
    parts = []
    for check in CHECKS:
        hit = flagged.filter(flagged[f"_bad_{check.code}"])
        row = hit[row_column].cast("int64") if row_column else ibis.null("int64")
        parts.append(
            hit.select(
                row=row,
                dossier_id=hit.dossier_id,
                field=ibis.literal(check.field),
                code=ibis.literal(f"dossier.{check.code}"),
                message=ibis.literal(check.message),
                hint=ibis.literal(check.hint),
            )
        )
    return ibis.union(*parts)
