"""The service-quality index (QĐ 766): hand-computed worked examples for every indicator and for
the on-time rule, run on DuckDB and on Spark (local mode); both engines agree on generated data;
bad rows are reported one by one and left out of the index."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sipas.service_index import (
    Dataset,
    Engine,
    IndexResult,
    check_records,
    compute_index,
    connect,
    parse_period,
    spark_session_for,
)
from sipas.service_index.records import arrow_schema, write_partitioned
from sipas.synthetic.dossiers import DossierDesign, generate_dossiers

D = date
JULY = [parse_period("2025-07")]


@pytest.fixture(scope="module")
def spark_session() -> Iterator[Any]:
    session = spark_session_for("local[2]", shuffle_partitions=2)
    yield session
    session.stop()


@pytest.fixture(scope="module", params=["duckdb", "spark"])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    if request.param == "spark":
        yield connect("spark", spark_session=request.getfixturevalue("spark_session"))
    else:
        runner = connect("duckdb")
        yield runner
        runner.close()


def table(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    schema = arrow_schema(name)
    return pa.table({f.name: [r.get(f.name) for r in rows] for f in schema}, schema=schema)


def dossier(id_: str, **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "dossier_id": id_,
        "procedure_code": "P1",
        "sector_code": "S",
        "agency_code": "01",
        "unit_code": "01.A",
        "channel": 1,
        "applicant_type": "citizen",
        "status": 10,
        "fee_amount": 0,
        "fee_paid_online": 0,
        "documents": 0,
        "documents_digitised": 0,
        "synced": True,
    }
    row.update(fields)
    row.setdefault("submitted_on", row.get("received_on"))
    return row


def catalogue_row(unit: str, procedure: str, **fields: Any) -> dict[str, Any]:
    row = {"agency_code": "01", "unit_code": unit, "procedure_code": procedure, "sector_code": "S"}
    return {**row, **fields}


def write_dataset(
    root: Path,
    dossiers: list[dict[str, Any]],
    catalogue: list[dict[str, Any]],
    complaints: list[dict[str, Any]] | None = None,
    supplements: list[dict[str, Any]] | None = None,
) -> Dataset:
    root.mkdir(parents=True, exist_ok=True)
    pq.write_table(table("catalogue", catalogue), root / "catalogue.parquet")
    write_partitioned(table("dossiers", dossiers), root, "dossiers", "part-0")
    if complaints:
        write_partitioned(table("complaints", complaints), root, "complaints", "part-0")
    if supplements:
        write_partitioned(table("supplements", supplements), root, "supplements", "part-0")
    return Dataset(root)


# Procedure catalogue. 01.A: P1 (fully online, fee, integrated, population database, published
# 2 days after the decision, amended 10/7 and republished 12/7); P2 (not online, no fee, published
# 19 days late, incomplete); P3 (decided 15/8: not in force in July). 01.B: P1, its July amendment
# published 16 days later, after the period.
CATALOGUE = [
    catalogue_row(
        "01.A",
        "P1",
        legal_days=10,
        online_level=2,
        has_fee=True,
        payment_integrated=True,
        population_db_connected=True,
        decided_on=D(2025, 1, 1),
        published_on=D(2025, 1, 3),
        content_complete=True,
        amended_on=D(2025, 7, 10),
        amendment_published_on=D(2025, 7, 12),
    ),
    catalogue_row(
        "01.A",
        "P2",
        legal_days=5,
        online_level=0,
        has_fee=False,
        payment_integrated=False,
        population_db_connected=False,
        decided_on=D(2025, 1, 1),
        published_on=D(2025, 1, 20),
        content_complete=False,
    ),
    catalogue_row(
        "01.A",
        "P3",
        legal_days=3,
        online_level=1,
        has_fee=True,
        payment_integrated=False,
        population_db_connected=True,
        decided_on=D(2025, 8, 15),
        published_on=D(2025, 8, 16),
        content_complete=True,
    ),
    catalogue_row(
        "01.B",
        "P1",
        legal_days=10,
        online_level=2,
        has_fee=True,
        payment_integrated=True,
        population_db_connected=False,
        decided_on=D(2024, 12, 1),
        published_on=D(2024, 12, 4),
        content_complete=True,
        amended_on=D(2025, 7, 20),
        amendment_published_on=D(2025, 8, 5),
    ),
]
FEE = {"fee_amount": 100_000}
DOSSIERS = [
    # d1 online, ended a day early, paid online, fully digitised, reused, from the data store
    dossier(
        "d1",
        channel=2,
        received_on=D(2025, 7, 1),
        promised_on=D(2025, 7, 11),
        ended_on=D(2025, 7, 10),
        fee_paid_online=1,
        documents=2,
        documents_digitised=2,
        documents_reused=1,
        documents_from_store=1,
        electronic_result=True,
        population_db=True,
        **FEE,
    ),
    # d2 one supplement request of 4 days: 3 days past the promise is still on time
    dossier(
        "d2",
        received_on=D(2025, 7, 2),
        promised_on=D(2025, 7, 12),
        ended_on=D(2025, 7, 15),
        supplement_requests=1,
        supplement_days=4,
        documents=3,
        documents_digitised=1,
        certified_copy=True,
        certified_copy_electronic=True,
        applicant_type="business",
        **FEE,
    ),
    # d3 ended before its promise once supplements are taken off, but two requests = late
    dossier(
        "d3",
        channel=2,
        received_on=D(2025, 7, 3),
        promised_on=D(2025, 7, 13),
        ended_on=D(2025, 7, 14),
        supplement_requests=2,
        supplement_days=5,
        fee_paid_online=2,
        documents=1,
        documents_digitised=1,
        electronic_result=True,
        synced=False,
        dislike=True,
        **FEE,
    ),
    # d4 unfinished, no promised date: judged on 31/7, 11 days > 5 legal days = late
    dossier("d4", procedure_code="P2", received_on=D(2025, 7, 20), status=4),
    # d5 unfinished, promised 2/8: not yet due on 31/7 = on time
    dossier(
        "d5",
        procedure_code="P2",
        received_on=D(2025, 7, 28),
        promised_on=D(2025, 8, 2),
        status=4,
        documents=1,
        certified_copy=True,
    ),
    # d6 by post, no promised date: 4 days ≤ 5 legal days; a complaint is linked to it
    dossier(
        "d6",
        procedure_code="P2",
        channel=3,
        received_on=D(2025, 7, 5),
        ended_on=D(2025, 7, 9),
        status=9,
        documents=2,
        documents_digitised=2,
    ),
    # d7 withdrawn: outside every dossier indicator
    dossier("d7", channel=2, received_on=D(2025, 7, 6), status=7),
    # d8 ends 3/8, after the period: unfinished on 31/7 and one day past its promise = late
    dossier(
        "d8",
        channel=2,
        received_on=D(2025, 7, 25),
        promised_on=D(2025, 7, 30),
        ended_on=D(2025, 8, 3),
        fee_paid_online=1,
        documents=1,
        documents_digitised=1,
        documents_reused=1,
        electronic_result=True,
        population_db=True,
        **FEE,
    ),
    # e1 at unit 01.B: everything right
    dossier(
        "e1",
        unit_code="01.B",
        channel=2,
        received_on=D(2025, 7, 10),
        promised_on=D(2025, 7, 20),
        ended_on=D(2025, 7, 18),
        fee_amount=50_000,
        fee_paid_online=1,
        documents=1,
        documents_digitised=1,
        documents_reused=1,
        documents_from_store=1,
        electronic_result=True,
        population_db=True,
    ),
    # June: another period
    dossier("j1", received_on=D(2025, 6, 30), promised_on=D(2025, 7, 10), ended_on=D(2025, 7, 2)),
]
BAD = [
    dossier("x1", procedure_code="PX", received_on=D(2025, 7, 7), ended_on=D(2025, 7, 8)),
    dossier("x2", unit_code="01.Z", received_on=D(2025, 7, 7), ended_on=D(2025, 7, 8)),
    dossier("x3", received_on=D(2025, 7, 7), ended_on=D(2025, 7, 1)),
    dossier("x4", received_on=D(2025, 7, 7), ended_on=D(2025, 7, 8)),
    dossier("x4", received_on=D(2025, 7, 9), ended_on=D(2025, 7, 10)),
    dossier("x5", received_on=D(2025, 7, 7), ended_on=D(2025, 7, 8), status=42),
    dossier("x6", received_on=D(2025, 7, 7), status=10),
]
COMPLAINTS = [
    # handled on time and to satisfaction
    {
        "complaint_id": "c1",
        "agency_code": "01",
        "unit_code": "01.A",
        "dossier_id": "d6",
        "received_on": D(2025, 7, 10),
        "due_on": D(2025, 7, 25),
        "handled_on": D(2025, 7, 20),
        "satisfied": True,
    },
    # handled in August: on 31/7 it is one day past due
    {
        "complaint_id": "c2",
        "agency_code": "01",
        "unit_code": "01.A",
        "received_on": D(2025, 7, 15),
        "due_on": D(2025, 7, 30),
        "handled_on": D(2025, 8, 5),
        "satisfied": True,
    },
    # open, due in August: on time so far, not handled
    {
        "complaint_id": "c3",
        "agency_code": "01",
        "unit_code": "01.A",
        "received_on": D(2025, 7, 20),
        "due_on": D(2025, 8, 4),
    },
]

# (numerator, denominator, points) worked out by hand from the rows above
EXPECTED_A = {
    "T1": (1, 2, 6 * 1 / 2),  # P1 published in 2 days, P2 in 19 (limit 5); P3 not in force
    "T2": (1, 1, 4.0),  # P1 amended 10/7, republished 12/7
    "T3": (1, 2, 2 * 1 / 2),  # P2 incomplete
    "T4": (6, 7, 6 * 6 / 7),  # 7 counted (d7 withdrawn), d3 not synced
    "P1": (4, 7, 20 * 4 / 7),  # d1, d2, d5, d6 on time; d3, d4, d8 late
    "P2": (28, 4, None),  # finished d1 9 + d2 (15−2−4) 9 + d3 (14−3−5) 6 + d6 4 = 28 days / 4
    # eligible: counted dossiers of P1 (full-process online at 01.A) d1, d2, d3, d8; online d1, d3, d8
    "O4": (3, 4, 12 * 3 / 4),
    "M1": (3, 4, 6 * 3 / 4),  # fees on d1, d2, d3, d8; paid online d1, d3, d8
    "M2": (1, 1, 2.0),
    "M3": (1, 1, 2.0),
    "D1": (2, 4, 6 * 2 / 4),  # finished d1, d2, d3, d6; e-result d1, d3
    "D2": (4, 7, 4 * 4 / 7),  # d1, d3, d6, d8 fully digitised
    "D3": (1, 2, 2 * 1 / 2),  # certified copies in d2 (electronic) and d5
    "D4": (2, 3, 2 * (2 / 3) / 0.8),  # online d1, d3, d8; reused d1, d8; full at 80 %
    "D5": (1, 3, 4 * 1 / 3),  # from the data store: d1
    "D6": (1, 2, 2 * 1 / 2),  # P1 connected, P2 not
    "D7": (2, 6, 2 * 2 / 6),  # citizens d1, d3, d4, d5, d6, d8; population data d1, d8
    "S1": (2, 3, 6 * 2 / 3),  # c1 on time, c2 late on 31/7, c3 not yet due
    "S2": (1, 1, 6.0),  # only c1 handled by 31/7
    "S3": (3, 7, 6 * (3 / 7) / 0.9),  # on time d1, d2, d5 (d6 has a complaint); full at 90 %
}
EXPECTED_B = {
    "T1": (1, 1, 6.0),
    "T2": (0, 1, 0.0),  # amendment republished after the period, 16 days late
    "T3": (1, 1, 2.0),
    "T4": (1, 1, 6.0),
    "P1": (1, 1, 20.0),
    "P2": (8, 1, None),
    "O4": (1, 1, 12.0),
    "M1": (1, 1, 6.0),
    "M2": (1, 1, 2.0),
    "M3": (1, 1, 2.0),
    "D1": (1, 1, 6.0),
    "D2": (1, 1, 4.0),
    "D3": (0, 0, 2.0),  # no certified copies: full points
    "D4": (1, 1, 2.0),
    "D5": (1, 1, 4.0),
    "D6": (0, 1, 0.0),
    "D7": (1, 1, 2.0),
    "S1": (0, 0, 6.0),  # no complaints: full points
    "S2": (0, 0, 6.0),
    "S3": (1, 1, 6.0),
}


@pytest.fixture(scope="module")
def worked_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_dataset(tmp_path_factory.mktemp("worked"), DOSSIERS + BAD, CATALOGUE, COMPLAINTS)


@pytest.fixture(scope="module")
def worked(engine: Engine, worked_dataset: Path) -> IndexResult:
    """June and July of the worked example, computed once per engine."""
    return compute_index(worked_dataset, [parse_period("2025-06"), *JULY], engine)


@pytest.fixture(scope="module")
def worked_by_procedure(engine: Engine, worked_dataset: Path) -> IndexResult:
    """The same, with the full drill-down by procedure."""
    periods = [parse_period("2025-06"), *JULY]
    return compute_index(worked_dataset, periods, engine, procedures=True)


def _indicators(result: Any, unit: str, period: str = "2025-07") -> dict[str, Any]:
    rows = result.indicators[
        (result.indicators.unit_code == unit) & (result.indicators.period == period)
    ]
    rows = rows[rows.level == ("agency" if unit == "01" else "unit")]
    return {
        r.indicator: (int(r.numerator), int(r.denominator), None if pd.isna(r.points) else r.points)
        for r in rows.itertuples()
    }


@pytest.mark.parametrize(("unit", "expected"), [("01.A", EXPECTED_A), ("01.B", EXPECTED_B)])
def test_every_indicator_by_hand(worked: IndexResult, unit: str, expected: dict[str, Any]) -> None:
    result = worked
    got = _indicators(result, unit)
    assert set(got) == set(expected)
    for code, (num, den, points) in expected.items():
        assert got[code][:2] == (num, den), code
        if points is None:
            assert got[code][2] is None, code
        else:
            assert got[code][2] == pytest.approx(points), code
    scores = result.scores[result.scores.period == "2025-07"].set_index(["level", "unit_code"])
    row = scores.loc[("unit", unit)]
    groups = {
        "transparency": "T",
        "progress": "P",
        "online": "O",
        "payment": "M",
        "digitisation": "D",
        "satisfaction": "S",
    }
    for group, letter in groups.items():
        want = sum(p for c, (_, _, p) in expected.items() if c.startswith(letter) and p is not None)
        assert row[group] == pytest.approx(want), group
    assert row["total"] == pytest.approx(sum(row[g] for g in groups))


def test_ranks_rollup_and_exclusions(worked: IndexResult) -> None:
    result = worked
    scores = result.scores[result.scores.period == "2025-07"].set_index(["level", "unit_code"])
    assert scores.loc[("unit", "01.B"), "total"] == pytest.approx(94.0)
    assert scores.loc[("unit", "01.B"), "rank"] == 1
    assert scores.loc[("unit", "01.A"), "rank"] == 2
    # the agency adds its units' numerators and denominators before scoring
    agency = _indicators(result, "01")
    assert agency["P1"] == (5, 8, pytest.approx(20 * 5 / 8))
    assert agency["T2"] == (1, 2, pytest.approx(4 * 1 / 2))
    # x1 … x6: 7 rows (x4 twice) left out; June's j1 is not in July
    assert result.excluded == {"2025-06": 0, "2025-07": 7}
    assert scores.loc[("agency", "01"), "dossiers"] == 9  # d1–d8 and e1 (d7 withdrawn but valid)
    # the default drill-down: procedure indicators and each procedure's dossiers
    fine = result.procedures[
        (result.procedures.unit_code == "01.A") & (result.procedures.period == "2025-07")
    ].set_index("procedure_code")
    assert "P1_num" not in fine.columns
    assert fine.dossiers.sum() == scores.loc[("unit", "01.A"), "dossiers"]


def test_full_drill_down_by_procedure(
    worked: IndexResult, worked_by_procedure: IndexResult
) -> None:
    """Summing per procedure first changes nothing above it, and the procedures add up."""
    for name in ("scores", "indicators"):
        pd.testing.assert_frame_equal(getattr(worked, name), getattr(worked_by_procedure, name))
    assert worked_by_procedure.procedure_detail and not worked.procedure_detail
    fine = worked_by_procedure.procedures[
        (worked_by_procedure.procedures.unit_code == "01.A")
        & (worked_by_procedure.procedures.period == "2025-07")
    ].set_index("procedure_code")
    assert fine.loc["P1", "P1_num"] == 2 and fine.loc["P1", "P1_den"] == 4  # d1, d2 of d1 d2 d3 d8
    assert fine.loc["P2", "P1_num"] == 2 and fine.loc["P2", "P1_den"] == 3  # d5, d6 of d4 d5 d6
    units = worked.indicators[(worked.indicators.level == "unit")]
    for unit, rows in fine.reset_index().groupby("unit_code"):
        p1 = units[
            (units.unit_code == unit) & (units.indicator == "P1") & (units.period == "2025-07")
        ]
        assert (
            rows.P1_num.sum() == p1.numerator.item() and rows.P1_den.sum() == p1.denominator.item()
        )


def test_change_on_the_previous_period(worked: IndexResult) -> None:
    scores = worked.scores.set_index(["period", "level", "unit_code"])
    before = scores.loc[("2025-06", "unit", "01.A"), "total"]
    # June: j1 on time, and the catalogue; no complaints, no certified copies
    assert scores.loc[("2025-06", "unit", "01.A"), "progress"] == pytest.approx(20.0)
    row = scores.loc[("2025-07", "unit", "01.A")]
    assert row["previous_period"] == "2025-06"
    assert row["previous_total"] == pytest.approx(before)
    # June holds one dossier of 01.A, July many more: June's coverage is not comparable (fewer
    # than half July's dossiers), so no change is shown rather than a change of coverage.
    june = scores.loc[("2025-06", "unit", "01.A"), "dossiers"]
    assert row["previous_dossiers"] == june and june < 0.5 * row["dossiers"]
    assert not row["comparable"] and pd.isna(row["change"])


def test_change_only_against_a_previous_period_of_comparable_coverage() -> None:
    from sipas.service_index.scoring import comparable

    now = pd.Series([100, 100, 100, 100, 10])
    before = pd.Series([50, 49, 300, None, 0])
    # at least half the dossiers (50 of 100), more, none known, or zero of ten
    assert list(comparable(now, before)) == [True, False, True, False, False]


def test_supplement_cycles_and_unfinished_dossiers(engine: Engine, tmp_path: Path) -> None:
    """Supplement cycles from their own table: waiting time is not counted (an open request
    counts up to the period's last day), a request after the period is ignored, and more than
    one request is late whatever the dates."""
    rows = [
        # 5 days past the promise, 5 days waiting: on time
        dossier(
            "s1", received_on=D(2025, 7, 1), promised_on=D(2025, 7, 11), ended_on=D(2025, 7, 16)
        ),
        # 5 days past the promise, 4 days waiting: late
        dossier(
            "s2", received_on=D(2025, 7, 1), promised_on=D(2025, 7, 11), ended_on=D(2025, 7, 16)
        ),
        # ended early but asked twice: late
        dossier(
            "s3", received_on=D(2025, 7, 1), promised_on=D(2025, 7, 11), ended_on=D(2025, 7, 5)
        ),
        # unfinished, 6 days past the promise on 31/7, request open since 20/7 (11 days): on time
        dossier("s4", received_on=D(2025, 7, 10), promised_on=D(2025, 7, 25), status=5),
        # unfinished, 3 days past the promise; its request comes in August: late
        dossier("s5", received_on=D(2025, 7, 10), promised_on=D(2025, 7, 28), status=5),
    ]
    cycles = [
        {"dossier_id": "s1", "requested_on": D(2025, 7, 5), "received_on": D(2025, 7, 10)},
        {"dossier_id": "s2", "requested_on": D(2025, 7, 5), "received_on": D(2025, 7, 9)},
        {"dossier_id": "s3", "requested_on": D(2025, 7, 2), "received_on": D(2025, 7, 3)},
        {"dossier_id": "s3", "requested_on": D(2025, 7, 3), "received_on": D(2025, 7, 4)},
        {"dossier_id": "s4", "requested_on": D(2025, 7, 20)},
        {"dossier_id": "s5", "requested_on": D(2025, 8, 2), "received_on": D(2025, 8, 4)},
    ]
    dataset = write_dataset(tmp_path / "cycles", rows, CATALOGUE[:1], supplements=cycles)
    got = _indicators(compute_index(dataset, JULY, engine), "01.A")
    assert got["P1"][:2] == (2, 5)  # s1, s4
    # finished s1 (15 − 5), s2 (15 − 4), s3 (4 − 2): 10 + 11 + 2 = 23 days over 3
    assert got["P2"][:2] == (23, 3)


def test_duckdb_and_spark_agree_on_generated_data(tmp_path: Path, spark_session: Any) -> None:
    design = DossierDesign(dossiers=6_000, seed=7, communes=2, invalid_rows=25, chunk_rows=2_500)
    generate_dossiers(design, tmp_path / "gen")
    periods = parse_period("2025-Q1").split("month")
    duck = compute_index(tmp_path / "gen", periods, connect("duckdb"))
    spark = compute_index(tmp_path / "gen", periods, connect("spark", spark_session=spark_session))
    assert duck.excluded == spark.excluded
    assert sum(duck.excluded.values()) > 0
    for name in ("scores", "indicators", "procedures"):
        a, b = getattr(duck, name), getattr(spark, name)
        keys = [c for c in a.columns if a[c].dtype == object]
        a = a.sort_values(keys, ignore_index=True)
        b = b.sort_values(keys, ignore_index=True)[a.columns]
        pd.testing.assert_frame_equal(a, b, check_dtype=False)
    assert len(duck.scores[duck.scores.level == "agency"]) == 3 * 34


def test_bad_rows_reported_one_by_one(tmp_path: Path) -> None:
    runner = connect("duckdb")
    records = table("dossiers", DOSSIERS[:3] + BAD).append_column(
        "row", pa.array(range(2, 2 + 3 + len(BAD)), pa.int64())
    )
    found = check_records(records, table("catalogue", CATALOGUE), runner)
    got = sorted(zip(found.row, found.dossier_id, found.code, strict=True))
    assert got == [
        (5, "x1", "dossier.unknown_procedure"),
        (6, "x2", "dossier.unknown_unit"),
        (7, "x3", "dossier.end_before_start"),
        (8, "x4", "dossier.duplicate_id"),
        (9, "x4", "dossier.duplicate_id"),
        (10, "x5", "dossier.bad_status"),
        (11, "x6", "dossier.ended_status_without_end"),
    ]
    assert set(found.field) >= {"procedure_code", "unit_code", "ended_on", "dossier_id", "status"}
    assert found.message.str.len().min() > 10
