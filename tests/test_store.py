"""Storage on SQLite and on a real PostgreSQL server: migrations, round-trips, refusals."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect

from sipas.api.demo import DemoOptions, run_demo
from sipas.errors import SipasError
from sipas.store import head_revision, open_database
from sipas.store.par import get_campaign, list_campaigns, load_points
from sipas.store.schema import metadata
from sipas.store.surveys import add_responses, create_survey, list_surveys, load_responses


def test_migrations_create_exactly_the_declared_tables(tmp_path: Path) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'm.db'}")
    assert db.revision() == head_revision()
    inspector = inspect(db.engine)
    assert set(inspector.get_table_names()) - {"alembic_version"} == set(metadata.tables)
    for name, table in metadata.tables.items():
        columns = {c["name"] for c in inspector.get_columns(name)}
        assert columns == {c.name for c in table.columns}, name


def test_reopening_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    open_database(url).close()
    assert open_database(url).revision() == head_revision()


def test_bad_url_is_a_clear_error() -> None:
    with pytest.raises(SipasError) as caught:
        open_database("not a url")
    assert caught.value.code == "db.bad_url"


def test_unwritable_location_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(SipasError) as caught:
        open_database(f"sqlite:///{blocker}/sub/db.sqlite")
    assert caught.value.code == "db.unwritable"


def test_unsupported_database_is_a_clear_error() -> None:
    with pytest.raises(SipasError) as caught:
        open_database("mysql://user@localhost/db")
    assert caught.value.code == "db.unsupported"


def test_unreachable_server_is_a_clear_error() -> None:
    with pytest.raises(SipasError) as caught:
        open_database("postgresql+psycopg://nobody@127.0.0.1:1/db")
    assert caught.value.code == "db.unreachable"


def test_survey_code_is_unique(tmp_path: Path) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'u.db'}")
    kwargs = {
        "code": "s",
        "framework_id": "f",
        "framework_version": "1",
        "year": 2024,
        "geography": "63",
        "reference_date": date(2024, 8, 1),
        "synthetic": True,
    }
    with db.begin() as connection:
        create_survey(connection, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(SipasError) as caught, db.begin() as connection:
        create_survey(connection, **kwargs)  # type: ignore[arg-type]
    assert caught.value.code == "survey.exists"


answer = st.one_of(st.none(), st.integers(1, 5))
row = st.fixed_dictionaries(
    {
        "weight": st.floats(0.01, 1e6, allow_nan=False),
        "sex": st.sampled_from([1, 2]),
        "note": st.one_of(st.none(), st.text(max_size=30)),
        "A1": answer,
        "A2": answer,
    }
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(row, min_size=1, max_size=30))
def test_responses_round_trip(tmp_path: Path, rows: list[dict[str, object]]) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'rt.db'}")
    frame = pd.DataFrame(rows)
    frame["respondent_key"] = [f"r{i}" for i in range(len(frame))]
    for column, value in (
        ("province_code", "01"),
        ("province_key", "01@2008-08-01"),
        ("commune", "c"),
        ("village", "v"),
        ("stratum", "01"),
        ("psu", "c"),
        ("interview_date", date(2024, 8, 1)),
    ):
        frame[column] = value
    with db.begin() as connection:
        survey_id = create_survey(
            connection,
            code="rt",
            framework_id="f",
            framework_version="1",
            year=2024,
            geography="63",
            reference_date=date(2024, 8, 1),
            synthetic=True,
            replace=True,
        )
        add_responses(connection, survey_id, frame, ["sex", "note"], ["A1", "A2"])
        back = load_responses(connection, "rt")
    assert len(back) == len(rows)
    for original, stored in zip(rows, back.to_dict(orient="records"), strict=True):
        assert stored["weight"] == original["weight"]
        for item in ("note", "A1", "A2"):
            if original[item] is None:
                assert pd.isna(stored[item])
            else:
                assert stored[item] == original[item]
    db.close()


@pytest.mark.postgres
def test_demo_on_postgresql(postgres_url: str) -> None:
    db = open_database(postgres_url)
    assert db.dialect == "postgresql"
    assert db.revision() == head_revision()
    options = DemoOptions(
        seed=4, years=(2024,), respondents_per_province=30, provinces=("01", "46")
    )
    summary = run_demo(db, options)
    with db.begin() as connection:
        surveys = list_surveys(connection)
        frame = load_responses(connection, "demo-sipas-2024")
        campaigns = list_campaigns(connection)
        campaign = get_campaign(connection, campaigns[0]["code"])
        scores = load_points(connection, campaign["id"], ("final",))
    assert surveys[0]["respondents"] == summary.surveys[0]["respondents"] == len(frame)
    assert set(frame["province_code"]) == {"01", "46"}
    assert len(scores) == 2 * 8
    # The same seed stores the same answers on PostgreSQL as on SQLite.
    lite = open_database("sqlite:///:memory:")
    run_demo(lite, options)
    with lite.begin() as connection:
        other = load_responses(connection, "demo-sipas-2024")
    pd.testing.assert_frame_equal(
        frame.drop(columns=["interview_date"]).reset_index(drop=True),
        other.drop(columns=["interview_date"]).reset_index(drop=True),
        check_dtype=False,
    )
    db.close()


def test_par_campaign_code_is_unique_unless_replaced(tmp_path: Path) -> None:
    from sipas.store.par import add_scores, create_campaign

    db = open_database(f"sqlite:///{tmp_path / 'p.db'}")
    kwargs = {
        "code": "c",
        "framework_id": "par-province-2017",
        "framework_version": "1",
        "year": 2019,
        "geography": "63",
        "synthetic": True,
        "framework": None,
    }
    with db.begin() as connection:
        first = create_campaign(connection, **kwargs)  # type: ignore[arg-type]
        add_scores(
            connection,
            first,
            [{"unit_code": "01", "node_code": "1", "stage": "final", "points": 9.5}],
        )
    with pytest.raises(SipasError) as caught, db.begin() as connection:
        create_campaign(connection, **kwargs)  # type: ignore[arg-type]
    assert caught.value.code == "par.campaign_exists"
    with db.begin() as connection:
        final = load_points(connection, first, ("final",))
        assert final[["unit_code", "node_code", "points"]].to_dict(orient="records") == [
            {"unit_code": "01", "node_code": "1", "points": 9.5}
        ]
        second = create_campaign(connection, **kwargs, replace=True)  # type: ignore[arg-type]
        assert load_points(connection, first, ("final",)).empty
        assert load_points(connection, second, ("final",)).empty
        with pytest.raises(SipasError) as stage:
            add_scores(
                connection,
                first,
                [{"unit_code": "01", "node_code": "1", "stage": "draft", "points": 1}],
            )
    assert stage.value.code == "par.bad_stage"
