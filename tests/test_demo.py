"""`sipas demo`: a synthetic national data set, reproducible from a seed, labelled synthetic."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from sipas.api.demo import SYNTHETIC_LABEL, DemoOptions, run_demo
from sipas.api.par import results as par_results
from sipas.errors import SipasError
from sipas.frameworks import load_builtin, require_par, require_survey
from sipas.frameworks.model import Method
from sipas.geo import province
from sipas.store import open_database
from sipas.store.estimates import load_estimates
from sipas.store.par import get_campaign, list_campaigns, load_scores
from sipas.store.schema import audit_log
from sipas.store.surveys import list_surveys, load_responses
from sipas.synthetic import fieldwork_window, synthetic_province_survey, synthetic_survey

SMALL = DemoOptions(
    seed=11,
    years=(2024, 2025),
    respondents_per_province=60,
    provinces=("01", "79", "77"),
    dossiers=0,  # the service index has its own test below
)


def _fingerprint(url: str) -> str:
    db = open_database(url)
    digest = hashlib.sha256()
    with db.begin() as connection:
        for survey in list_surveys(connection):
            frame = load_responses(connection, survey["code"])
            digest.update(
                pd.util.hash_pandas_object(frame.astype(str), index=False).values.tobytes()
            )
        for campaign in list_campaigns(connection):
            digest.update(json.dumps(load_scores(connection, campaign["code"])).encode())
    db.close()
    return digest.hexdigest()


def test_same_seed_gives_identical_data(tmp_path: Path) -> None:
    urls = [f"sqlite:///{tmp_path / name}.db" for name in ("a", "b")]
    for url in urls:
        run_demo(open_database(url), SMALL)
    assert _fingerprint(urls[0]) == _fingerprint(urls[1])


def test_another_seed_gives_other_data(tmp_path: Path) -> None:
    a, b = f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
    run_demo(open_database(a), SMALL)
    run_demo(open_database(b), DemoOptions(**{**SMALL.__dict__, "seed": 12}))
    assert _fingerprint(a) != _fingerprint(b)


def test_running_twice_replaces_the_demo(tmp_path: Path) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'd.db'}")
    run_demo(db, SMALL)
    run_demo(db, SMALL)
    with db.begin() as connection:
        surveys = list_surveys(connection)
    assert [s["code"] for s in surveys] == ["demo-sipas-2024", "demo-sipas-2025"]


def test_demo_is_labelled_synthetic_everywhere(tmp_path: Path) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'd.db'}")
    summary = run_demo(db, SMALL)
    assert "SYNTHETIC" in summary.label
    with db.begin() as connection:
        assert all(
            s["synthetic"] and s["description"] == SYNTHETIC_LABEL for s in list_surveys(connection)
        )
        assert all(c["synthetic"] for c in list_campaigns(connection))
        actions = connection.execute(select(audit_log.c.action)).scalars().all()
    assert "survey.create" in actions and "par.campaign.create" in actions


def test_demo_stores_the_service_index_of_its_dossiers(tmp_path: Path) -> None:
    folder = tmp_path / "dossiers"
    options = DemoOptions(**{**SMALL.__dict__, "dossiers": 2_000, "dossier_folder": folder})
    steps: list[tuple[str, int, int]] = []
    db = open_database(f"sqlite:///{tmp_path / 'd.db'}")
    summary = run_demo(db, options, lambda *step: steps.append(step))
    assert summary.service_index is not None and summary.service_index["dossiers"] == 2_000
    shown = [s for s in steps if s[0] == "service index 2025"]
    assert shown[-1] == ("service index 2025", 4, 4)  # generation, months, quarters, year
    results = folder / "results" / "service-766"
    stored = sorted(p.parent.name for p in results.glob("*/scores.parquet"))
    expected = ["2025", *(f"2025-{m:02d}" for m in range(1, 13)), "2025-Q1", "2025-Q2"]
    assert stored == sorted([*expected, "2025-Q3", "2025-Q4"])
    assert json.loads((folder / "DATASET.json").read_text(encoding="utf-8"))["synthetic"]
    year = pd.read_parquet(results / "2025" / "scores.parquet")
    assert year[year.level == "agency"].dossiers.sum() == 2_000
    assert year[year.level == "agency"].agency_code.nunique() == 34
    meta = json.loads((results / "2025" / "meta.json").read_text(encoding="utf-8"))
    assert meta["procedures"] is True  # every indicator by procedure, for the web app
    assert "P1_num" in pd.read_parquet(results / "2025-07" / "procedures.parquet").columns
    # Running it again replaces the synthetic dataset: the same files, nothing appended.
    (folder / "dossiers" / "2025-03" / "append-extra.parquet").write_bytes(b"")
    run_demo(db, options)
    assert not (folder / "dossiers" / "2025-03" / "append-extra.parquet").exists()


def test_demo_writes_dossiers_beside_its_database_file_only(tmp_path: Path) -> None:
    options = DemoOptions(**{**SMALL.__dict__, "dossiers": 500, "provinces": ("01",)})
    assert run_demo(open_database("sqlite:///:memory:"), options).service_index is None
    summary = run_demo(open_database(f"sqlite:///{tmp_path / 'site' / 'd.db'}"), options)
    assert summary.service_index is not None
    assert summary.service_index["folder"] == str(tmp_path / "site" / "dossiers")


def test_demo_leaves_a_folder_of_other_files_alone(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "real.parquet").write_bytes(b"not the demo's")
    options = DemoOptions(**{**SMALL.__dict__, "dossiers": 100, "dossier_folder": folder})
    with pytest.raises(SipasError) as refused:
        run_demo(open_database(f"sqlite:///{tmp_path / 'd.db'}"), options)
    assert refused.value.code == "demo.dossier_folder"
    assert (folder / "real.parquet").read_bytes() == b"not the demo's"


def test_geography_follows_the_survey_year(tmp_path: Path) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'd.db'}")
    run_demo(db, SMALL)
    with db.begin() as connection:
        before = load_responses(connection, "demo-sipas-2024")
        after = load_responses(connection, "demo-sipas-2025")
    # Bà Rịa–Vũng Tàu (77) exists in 2024; in 2025 it is part of Hồ Chí Minh (79).
    assert set(before["province_code"]) == {"01", "79", "77"}
    assert set(after["province_code"]) == {"01", "79"}
    assert set(before["province_key"]) == {"01@2008-08-01", "79@2008-08-01", "77@2008-08-01"}
    assert set(after["province_key"]) == {"01@2025-07-01", "79@2025-07-01"}


FRAMEWORK = require_survey(load_builtin("sipas-gen2"))


def test_demo_scores_par_for_the_survey_years_on_synthetic_criteria(tmp_path: Path) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'd.db'}")
    summary = run_demo(db, SMALL)
    rounds = [(r["campaign"], r["framework"], r["year"], r["units"]) for r in summary.par]
    assert rounds == [
        ("demo-par-2019", "par-province-2017", 2019, 3),
        ("demo-par-2023", "par-province-2022-demo", 2023, 3),
        ("demo-par-2024", "par-province-2024-demo", 2024, 3),
    ]
    # Three provinces only: the campaign is not on the survey's geography, so the SIPAS leaf is
    # synthetic too, and the summary says so.
    assert all(r["sipas_from"] == "" for r in summary.par)
    with db.begin() as connection:
        stored = {c["code"]: c for c in list_campaigns(connection)}
        scores = load_scores(connection, get_campaign(connection, "demo-par-2024")["id"])
    assert all(stored[c]["synthetic"] and stored[c]["stage"] == "final" for c, *_ in rounds)
    for framework_id in ("par-province-2022-demo", "par-province-2024-demo"):
        framework = require_par(load_builtin(framework_id))
        assert "SYNTHETIC" in framework.title.en and "GIẢ LẬP" in framework.title.vi
        assert framework.provisional and "SYNTHETIC" in (framework.notes or "")
    framework = require_par(load_builtin("par-province-2024-demo"))
    tops = {leaf.code: float(leaf.max_points or 0) for leaf in framework.leaves()}
    survey = {leaf.code for leaf in framework.leaves() if leaf.method is Method.SURVEY}
    # Survey leaves are filled at the survey stage and never self-assessed; every other leaf of
    # every province is self-assessed.
    written = {(r["stage"], r["unit_code"], r["node_code"]) for r in scores}
    assert {(u, n) for s, u, n in written if s == "survey"} == {
        (u, n) for u in ("01", "77", "79") for n in survey
    }
    assert {(u, n) for s, u, n in written if s == "self"} == {
        (u, n) for u in ("01", "77", "79") for n in tops if n not in survey
    }
    # The results add up: each leaf within its maximum, the leaves to the unit's points.
    view = par_results(db, "demo-par-2024", unit="01", with_nodes=True)
    leaves = {n["node"]: n["points"] for n in view["nodes"] if n["node"] in tops}
    assert len(leaves) == 88 and all(0 <= leaves[c] <= tops[c] + 1e-9 for c in leaves)
    assert view["units"][0]["points"] == pytest.approx(sum(leaves.values()), abs=0.01 * 88)


@pytest.mark.slow  # every province, to put the PAR round on the survey's geography
def test_the_demo_par_round_takes_sipas_from_the_demo_survey(tmp_path: Path) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'd.db'}")
    options = DemoOptions(seed=13, years=(2024,), respondents_per_province=12, dossiers=0)
    summary = run_demo(db, options)
    by_year = {r["year"]: r for r in summary.par}
    assert by_year[2024]["sipas_from"] == "demo-sipas-2024"
    assert by_year[2023]["sipas_from"] == ""  # no 2023 survey in this demo
    framework = require_par(load_builtin("par-province-2024-demo"))
    leaf = next(n for n in framework.leaves() if n.rubric is not None)
    with db.begin() as connection:
        estimates = load_estimates(connection, "demo-sipas-2024")
        scores = load_scores(connection, get_campaign(connection, "demo-par-2024")["id"])
    sipas = estimates[(estimates.partition == "province") & (estimates.indicator == "SIPAS")]
    sipas = sipas.set_index("cell")["estimate"]
    filled = {r["unit_code"]: r["points"] for r in scores if r["node_code"] == leaf.code}
    assert len(filled) == 63
    for unit, points in filled.items():
        # By hand: the leaf's 10 points × the province's SIPAS / 100.
        assert points == pytest.approx(10 * sipas[unit] / 100)


def test_full_year_has_every_province_and_about_580_each() -> None:
    frame = synthetic_survey(FRAMEWORK, 2024, seed=3)
    sizes = frame.groupby("province_code").size()
    assert len(sizes) == 63
    assert 540 <= sizes.mean() <= 620
    assert frame.groupby("province_code")["village"].nunique().eq(18).all()
    assert frame.groupby("province_code")["psu"].nunique().eq(6).all()


def test_2025_survey_is_on_the_34_provinces() -> None:
    frame = synthetic_survey(FRAMEWORK, 2025, seed=3)
    assert frame["province_code"].nunique() == 34
    start, end = fieldwork_window(2025)
    assert frame["interview_date"].min() >= start and frame["interview_date"].max() <= end


def test_design_columns_are_sound() -> None:
    frame = synthetic_province_survey(
        FRAMEWORK, province("01", fieldwork_window(2024)[0]), 2024, seed=5
    )
    assert (frame["weight"] > 0).all()
    assert frame["respondent_key"].is_unique
    # Villages nest in communes, communes (PSUs) in the province stratum.
    assert frame.groupby("village")["psu"].nunique().eq(1).all()
    assert frame["stratum"].nunique() == 1


def test_answers_are_on_the_scale_with_some_blanks() -> None:
    frame = synthetic_survey(FRAMEWORK, 2024, seed=5, provinces=["01", "22", "04"])
    answers = frame[FRAMEWORK.item_codes()]
    values = answers.astype(float).to_numpy().ravel()
    assert set(np.unique(values[~np.isnan(values)])) == {1, 2, 3, 4, 5}
    blank_share = answers.isna().to_numpy().mean()
    assert 0.005 < blank_share < 0.03


def _top2(frame: pd.DataFrame, items: list[str]) -> pd.Series:
    answers = frame[items].astype(float)
    return (answers >= 4).sum() / answers.notna().sum() * 100


def test_answers_vary_by_province_element_and_cluster() -> None:
    items = FRAMEWORK.item_codes()
    frame = synthetic_survey(FRAMEWORK, 2024, seed=8)
    by_province = frame.groupby("province_code").apply(lambda g: _top2(g, items).mean())
    assert by_province.max() - by_province.min() > 8  # provinces differ
    components = FRAMEWORK.leaf_components()
    shares = _top2(frame, items)
    element_means = [shares[list(c.items or [])].mean() for c in components]
    assert max(element_means) - min(element_means) > 2  # elements differ
    # Clustering: the between-village variance of a village mean is larger than sampling alone gives.
    score = (frame[items].astype(float) >= 4).mean(axis=1)
    village = frame.assign(s=score).groupby("village")["s"].agg(["mean", "count"])
    expected = score.var() / village["count"].mean()
    assert village["mean"].var() > 1.5 * expected


def test_province_level_persists_across_years() -> None:
    items = FRAMEWORK.item_codes()
    years = [synthetic_survey(FRAMEWORK, y, seed=8) for y in (2023, 2024)]
    levels = [f.groupby("province_code").apply(lambda g: _top2(g, items).mean()) for f in years]
    assert np.corrcoef(levels[0], levels[1])[0, 1] > 0.6


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_demo_command(run_cli: Any, isolated_settings: Path, fmt: str) -> None:
    result = run_cli(
        "demo", "--years", "2025", "--respondents", "40", "--provinces", "1,79", "--format", fmt
    )
    assert result.exit_code == 0, result.output
    assert "SYNTHETIC" in result.output
    assert (isolated_settings / "sipas.db").exists()
    if fmt == "json":
        summary = json.loads(result.output)
        assert summary["surveys"][0]["year"] == 2025
        assert summary["par"][0]["units"] == 2  # the PAR round is on the 63 provinces
        assert [r["year"] for r in summary["par"]] == [2019, 2023, 2024]
        # The service index of the demo's dossiers, where the web app looks (data_dir/dossiers).
        assert summary["service_index"]["folder"] == str(isolated_settings / "dossiers")
        assert summary["service_index"]["dossiers"] == 200_000
        results = isolated_settings / "dossiers" / "results" / "service-766"
        assert len(list(results.glob("*/scores.parquet"))) == 17


def test_demo_rejects_bad_years(run_cli: Any) -> None:
    result = run_cli("demo", "--years", "twenty")
    assert result.exit_code == 1
    assert "--years" in result.output


def test_the_demo_makes_one_account_per_role_and_shows_each_password_once(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from sipas.api import users
    from sipas.api.demo import DemoOptions, run_demo
    from sipas.store import open_database

    db = open_database(f"sqlite:///{tmp_path / 'demo.db'}")
    options = DemoOptions(years=(2024,), provinces=("19",), respondents_per_province=30, dossiers=0)
    first = run_demo(db, options)
    roles = {a["role"] for a in first.accounts}
    assert roles == {"admin", "analyst", "officer", "appraiser", "clerk"}
    officer = next(a for a in first.accounts if a["role"] == "officer")
    assert officer["province"] == "19" and len(officer["password"]) >= 12
    assert users.authenticate(db, officer["name"], officer["password"])["role"] == "officer"
    again = run_demo(db, options)  # a new password each run; the old one no longer works
    renewed = next(a for a in again.accounts if a["role"] == "officer")
    assert renewed["password"] != officer["password"]
    assert users.authenticate(db, officer["name"], renewed["password"])["name"] == officer["name"]
    with pytest.raises(SipasError):
        users.authenticate(db, officer["name"], officer["password"])
