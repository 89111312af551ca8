"""`sipas invitations create`: one-time links for respondents to answer a survey on the web."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import click

from sipas.api import invitations as api
from sipas.cli.context import AppContext, pass_app
from sipas.cli.output import emit, format_option
from sipas.errors import SipasError

TOKEN_COLUMNS = (
    "token",
    "link",
    "respondent_key",
    "province_code",
    "stratum",
    "psu",
    "weight",
    "expires_at",
)


@click.group("invitations")
def invitations() -> None:
    """One-time invitations to answer a survey on the web."""


def _sample(path: Path) -> list[api.Sampled]:
    """Sampled persons from a CSV: province_code (required), stratum, psu, weight,
    respondent_key, commune, village."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError) as error:
        raise SipasError(
            "invitations.sample_unreadable", path=str(path), reason=str(error)
        ) from None
    people = []
    for number, row in enumerate(rows, start=2):  # the header is row 1
        province = (row.get("province_code") or row.get("province") or "").strip()
        if not province:
            raise SipasError("invitations.sample_no_province", file=path.name, row=number)
        weight_text = (row.get("weight") or "1").strip()
        try:
            weight = float(weight_text)
        except ValueError:
            raise SipasError(
                "invitations.sample_bad_weight", file=path.name, row=number, value=weight_text
            ) from None
        people.append(
            api.Sampled(
                province_code=province,
                stratum=(row.get("stratum") or "").strip() or None,
                psu=(row.get("psu") or "").strip() or None,
                weight=weight,
                respondent_key=(row.get("respondent_key") or "").strip() or None,
                commune=(row.get("commune") or "").strip(),
                village=(row.get("village") or "").strip(),
            )
        )
    return people


@invitations.command("create")
@click.option("--survey", "survey_code", required=True, help="Code of the survey to answer.")
@click.option(
    "--count", type=click.IntRange(1, api.MAX_INVITATIONS), help="Invitations per province."
)
@click.option("--province", "provinces", multiple=True, help="Province code (repeat for several).")
@click.option("--stratum", help="Stratum of the sampled persons (default: the province).")
@click.option("--psu", help="Primary sampling unit (default: the province).")
@click.option("--weight", type=float, default=1.0, show_default=True, help="Design weight.")
@click.option(
    "--sample",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="CSV of sampled persons (province_code, stratum, psu, weight, respondent_key, "
    "commune, village): one invitation each. Replaces --count and --province.",
)
@click.option(
    "--expires", "days", type=float, default=30, show_default=True, help="Days until expiry."
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="CSV written with each token and link (readable by you only; tokens are not stored).",
)
@format_option
@pass_app
def create(
    app: AppContext,
    survey_code: str,
    count: int | None,
    provinces: tuple[str, ...],
    stratum: str | None,
    psu: str | None,
    weight: float,
    sample: Path | None,
    days: float,
    output: Path,
    fmt: str,
) -> None:
    """Issue invitations and write their tokens to a CSV file (shown nowhere else)."""
    if sample is not None:
        people = _sample(sample)
    else:
        if count is None or not provinces:
            raise SipasError("invitations.what")
        people = [
            api.Sampled(province_code=p, stratum=stratum, psu=psu, weight=weight)
            for p in provinces
            for _ in range(count)
        ]
    try:  # the file first: tokens the database holds no copy of must have somewhere to go
        descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise SipasError("invitations.output_exists", path=str(output)) from None
    except OSError as error:
        raise SipasError(
            "invitations.unwritable", path=str(output), reason=error.strerror
        ) from None
    with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
        try:
            issued = api.create_invitations(
                app.db, survey_code, people, days, actor="sipas invitations"
            )
        except SipasError:
            handle.close()
            output.unlink()
            raise
        writer = csv.DictWriter(handle, fieldnames=TOKEN_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(issued)
    by_province: dict[str, int] = {}
    for row in issued:
        by_province[row["province_code"]] = by_province.get(row["province_code"], 0) + 1
    emit(
        [
            {"survey": survey_code, "province": p, "invitations": n, "file": str(output)}
            for p, n in sorted(by_province.items())
        ],
        fmt,
        title=f"Invitations issued (expire in {days:g} days)",
    )


@invitations.command("status")
@click.option("--survey", "survey_code", required=True, help="Code of the survey.")
@format_option
@pass_app
def status(app: AppContext, survey_code: str, fmt: str) -> None:
    """Invitations of a survey by province: issued, submitted, open, expired, with a draft."""
    rows = api.invitation_status(app.db, survey_code)
    shown = [
        {
            "province": r["province_code"],
            "issued": r["issued"],
            "submitted": r["submitted"],
            "open": r["open"],
            "expired": r["expired"],
            "drafts": r["drafts"],
        }
        for r in rows
    ]
    emit(shown, fmt, title=f"Invitations of {survey_code}")
