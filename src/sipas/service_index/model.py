"""The dossier record, the procedure catalogue, complaints and supplement cycles; periods.

Column names and types of each table a dataset holds. Dates are calendar days (no time of day):
the on-time rule works in whole days.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from sipas.errors import SipasError

# Dossier status codes of the national portal (see the methodology note).
STATUS = {
    1: "new",
    2: "received",
    3: "not received",
    4: "processing",
    5: "supplement requested",
    6: "fee requested",
    7: "withdrawn",
    8: "stopped",
    9: "processed",
    10: "result returned",
}
ENDED_STATUSES = (8, 9, 10)  # stopped/rejected, processed, result returned: an end date is required
OPEN_STATUSES = (1, 2, 4, 5, 6)  # no end date may be set
NOT_JUDGED_STATUSES = (3, 7)  # not received, withdrawn: outside the progress indicators
CHANNELS = {1: "in person", 2: "online", 3: "public postal service"}
APPLICANT_TYPES = ("citizen", "business")

DOSSIER_COLUMNS: dict[str, str] = {
    "dossier_id": "string",
    "procedure_code": "string",
    "sector_code": "string",
    "agency_code": "string",  # province or ministry the handling unit belongs to
    "unit_code": "string",  # handling unit: department, commune, …
    "channel": "int8",
    "applicant_type": "string",
    "submitted_on": "date",
    "received_on": "date",
    "promised_on": "date",
    "ended_on": "date",
    "returned_on": "date",
    "status": "int8",
    "fee_amount": "int64",
    "fee_paid_online": "int8",  # 0 no, 1 national portal, 2 provincial portal
    "documents": "int16",
    "documents_digitised": "int16",
    "documents_reused": "int16",
    "documents_from_store": "int16",
    "certified_copy": "boolean",
    "certified_copy_electronic": "boolean",
    "electronic_result": "boolean",
    "vneid": "boolean",
    "population_db": "boolean",
    "synced": "boolean",
    "dislike": "boolean",
    "supplement_requests": "int16",
    "supplement_days": "int32",
}
REQUIRED_DOSSIER_COLUMNS = ("dossier_id", "procedure_code", "unit_code", "submitted_on", "status")

CATALOGUE_COLUMNS: dict[str, str] = {
    "agency_code": "string",
    "unit_code": "string",
    "procedure_code": "string",
    "sector_code": "string",
    "legal_days": "int32",
    "online_level": "int8",  # 0 information only, 1 partly online, 2 fully online
    "has_fee": "boolean",
    "payment_integrated": "boolean",
    "population_db_connected": "boolean",
    "decided_on": "date",
    "published_on": "date",
    "content_complete": "boolean",
    "amended_on": "date",
    "amendment_published_on": "date",
}

COMPLAINT_COLUMNS: dict[str, str] = {
    "complaint_id": "string",
    "agency_code": "string",
    "unit_code": "string",
    "dossier_id": "string",
    "received_on": "date",
    "due_on": "date",
    "handled_on": "date",
    "satisfied": "boolean",
}

SUPPLEMENT_COLUMNS: dict[str, str] = {
    "dossier_id": "string",
    "requested_on": "date",
    "received_on": "date",
}

TABLES = {
    "dossiers": DOSSIER_COLUMNS,
    "catalogue": CATALOGUE_COLUMNS,
    "complaints": COMPLAINT_COLUMNS,
    "supplements": SUPPLEMENT_COLUMNS,
}

EPOCH = date(1970, 1, 1)


def day_number(day: date) -> int:
    """Days since 1970-01-01, as Ibis ``epoch_days`` counts them."""
    return (day - EPOCH).days


GRAINS = ("month", "quarter", "year")
_PERIOD = re.compile(r"^(\d{4})(?:-(?:(\d{2})|Q([1-4])))?$")


@dataclass(frozen=True, order=True)
class Period:
    """A month (2025-07), quarter (2025-Q3) or year (2025)."""

    start: date
    end: date  # inclusive: the day unfinished dossiers are judged on
    key: str
    grain: str

    @property
    def start_day(self) -> int:
        return day_number(self.start)

    @property
    def end_day(self) -> int:
        return day_number(self.end)

    def previous(self) -> Period:
        return period_containing(self.start - timedelta(days=1), self.grain)

    def next(self) -> Period:
        return period_containing(self.end + timedelta(days=1), self.grain)

    def split(self, grain: str) -> list[Period]:
        """The periods of ``grain`` that make up this one (itself if the grain is the same)."""
        out = []
        current = period_containing(self.start, grain)
        while current.start <= self.end:
            out.append(current)
            current = current.next()
        return out

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def _month_end(year: int, month: int) -> date:
    nxt = date(year + month // 12, month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def period_containing(day: date, grain: str) -> Period:
    if grain == "month":
        start = date(day.year, day.month, 1)
        return Period(start, _month_end(day.year, day.month), f"{day:%Y-%m}", "month")
    if grain == "quarter":
        q = (day.month - 1) // 3 + 1
        start = date(day.year, 3 * q - 2, 1)
        return Period(start, _month_end(day.year, 3 * q), f"{day.year}-Q{q}", "quarter")
    if grain == "year":
        return Period(date(day.year, 1, 1), date(day.year, 12, 31), str(day.year), "year")
    raise SipasError("service_index.bad_grain", grain=grain, grains=list(GRAINS))


def parse_period(text: str) -> Period:
    match = _PERIOD.match(text.strip())
    # years whose periods (and the period before, for change) stay within the calendar
    if (
        not match
        or not 1900 <= int(match.group(1)) <= 9000
        or (match.group(2) and not 1 <= int(match.group(2)) <= 12)
    ):
        raise SipasError("service_index.bad_period", text=text)
    year = int(match.group(1))
    if match.group(2):
        return period_containing(date(year, int(match.group(2)), 1), "month")
    if match.group(3):
        return period_containing(date(year, 3 * int(match.group(3)), 1), "quarter")
    return period_containing(date(year, 1, 1), "year")
