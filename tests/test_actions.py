"""Remediation plans: actions against a weakness stored per province across years, next year's
result placed beside each (SIPAS change with its test, PAR points, the 2025 merger said as such),
the CLI, the officer's web page and the Excel export; every refusal a declared error; every change
audited; the store on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient

from servers import fresh_database
from sipas.api import actions as commands
from sipas.api import estimation, par, users
from sipas.api.demo import DemoOptions, run_demo
from sipas.api.queries import actions as api
from sipas.errors import SipasError
from sipas.settings import load_settings
from sipas.store import Database, audit
from sipas.survey.estimate import Z_95
from sipas.web import create_app

ADMIN = par.Actor("admin", "admin")
OFFICER_01 = par.Actor("officer01", "officer", "01")
OFFICER_79 = par.Actor("officer79", "officer", "79")
ANALYST = par.Actor("analyst", "analyst")
PASSWORD = "correct horse battery"
# The demo's own seed and size: two years of two provinces, so next year's result is a real
# change between two saved runs.
DEMO = DemoOptions(
    years=(2023, 2024), provinces=("01", "79"), respondents_per_province=200, dossiers=0
)


def _add(db: Database, actor: par.Actor = ADMIN, **values: Any) -> api.Action:
    base: dict[str, Any] = {
        "province": "Hà Nội",
        "year": 2023,
        "index": "sipas",
        "indicator": "Q9_02",
        "task": "Niêm yết công khai thủ tục tại bộ phận một cửa",
        "owner": "Sở Nội vụ",
        "deadline": "30/06/2024",
    }
    return commands.add_action(db, actor, **{**base, **values})


# --- the store and the audit log, on both databases ---------------------------------------------


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_actions_are_stored_filtered_updated_and_audited(kind: str, tmp_path: Path) -> None:
    with fresh_database(kind, tmp_path, "sipas_actions") as db:
        first = _add(db, target="≥ 90%")
        second = _add(db, province="79", year=2024, indicator="service.access", owner="UBND phường")
        assert first.province_key == "01@2008-08-01" and first.indicator_name.startswith(
            "Thông tin"
        )
        assert first.status == "planned" and str(first.deadline) == "2024-06-30"
        everything = api.list_actions(db, ADMIN).actions
        assert [a.id for a in everything] == [first.id, second.id]
        assert [a.id for a in api.list_actions(db, ADMIN, province="79").actions] == [second.id]
        assert [a.id for a in api.list_actions(db, ADMIN, year=2023).actions] == [first.id]
        assert api.list_actions(db, ADMIN, status="done").actions == []
        # No saved runs: next year's result says there is none, and makes none up.
        result = everything[0].result
        assert result is not None and result.outcome == "no_results" and result.after is None

        updated = commands.update_action(
            db, OFFICER_01, first.id, status="done", evidence="Báo cáo 12/BC-SNV",
            evidence_url="https://example.org/bc12.pdf", reason="hoàn thành",
        )  # fmt: skip
        assert updated.status == "done" and updated.updated_by == "officer01"
        assert [a.id for a in api.list_actions(db, ADMIN, status="done").actions] == [first.id]
        with db.read() as connection:
            rows = audit.history(connection, api.ENTITY, str(first.id))
        assert [r["action"] for r in rows] == ["action.add", "action.update"]
        assert rows[0]["actor"] == "admin" and rows[0]["after"]["indicator"] == "Q9_02"
        assert rows[1]["before"] == {"status": "planned", "evidence": None, "evidence_url": None}
        assert rows[1]["after"]["status"] == "done" and rows[1]["reason"] == "hoàn thành"
        assert api.history(db, OFFICER_01, first.id) == rows
        # A refused change stores nothing and audits nothing.
        with pytest.raises(SipasError) as refused:
            commands.update_action(db, OFFICER_79, first.id, status="dropped")
        assert refused.value.code == "actions.forbidden"
        assert len(api.history(db, ADMIN, first.id)) == 2


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ({"indicator": "Q9_99"}, "actions.unknown_indicator"),
        ({"indicator": "T1"}, "actions.unknown_indicator"),  # a service-index code is not SIPAS
        ({"index": "service", "indicator": "Q9_02"}, "actions.unknown_indicator"),
        ({"deadline": "31/02/2024"}, "actions.bad_deadline"),
        ({"deadline": "sắp tới"}, "actions.bad_deadline"),
        ({"year": "2o23"}, "actions.bad_year"),
        ({"year": 1990}, "actions.bad_year"),
        ({"index": "papi"}, "actions.bad_index"),
        ({"status": "finished"}, "actions.bad_status"),
        ({"task": "   "}, "actions.empty_field"),
        ({"owner": ""}, "actions.empty_field"),
        ({"owner": "x" * 201}, "actions.too_long"),
        ({"evidence_url": "javascript:alert(1)"}, "actions.bad_link"),
        ({"province": "Xứ Đoài"}, "geo.unknown_name"),
        ({"index": "par", "indicator": "3"}, "actions.no_campaign"),
    ],
)
def test_refusals_are_declared_errors_and_store_nothing(
    values: dict[str, Any], code: str, tmp_path: Path
) -> None:
    with fresh_database("sqlite", tmp_path, "refusals") as db:
        with pytest.raises(SipasError) as refused:
            _add(db, **values)
        assert refused.value.code == code
        assert refused.value.text("vi")[0] and refused.value.text("en")[0]
        assert api.list_actions(db, ADMIN).actions == []


def test_who_may_read_and_write(tmp_path: Path) -> None:
    with fresh_database("sqlite", tmp_path, "roles") as db:
        mine = _add(db, OFFICER_01)
        _add(db, province="79")
        # An officer sees the own province only, and may not ask for another.
        assert [a.province_code for a in api.list_actions(db, OFFICER_01).actions] == ["01"]
        with pytest.raises(SipasError, match=r"actions\.forbidden"):
            api.list_actions(db, OFFICER_01, province="79")
        with pytest.raises(SipasError, match=r"actions\.forbidden"):
            _add(db, OFFICER_79)  # for Hà Nội
        with pytest.raises(SipasError, match=r"actions\.forbidden"):
            api.get_action(db, OFFICER_79, mine.id)
        # An analyst reads every province and changes nothing; other roles do neither.
        assert len(api.list_actions(db, ANALYST).actions) == 2
        with pytest.raises(SipasError, match=r"actions\.read_only"):
            commands.update_action(db, ANALYST, mine.id, status="done")
        with pytest.raises(SipasError, match=r"actions\.role_refused"):
            api.list_actions(db, par.Actor("clerk", "clerk"))
        with pytest.raises(SipasError, match=r"actions\.unknown"):
            commands.update_action(db, ADMIN, 999, status="done")
        with pytest.raises(SipasError, match=r"actions\.bad_id"):
            api.get_action(db, ADMIN, "một")
        with pytest.raises(SipasError, match=r"actions\.nothing_to_change"):
            commands.update_action(db, ADMIN, mine.id, status="planned")


# --- next year's result on a demo of two consecutive years ---------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("actions")
    with fresh_database("sqlite", folder, "demo") as db:
        run_demo(db, DEMO)
        yield {"db": db, "folder": folder, "url": db.url}


@pytest.mark.slow  # a demo of two years, or dossiers of two years
def test_next_year_change_is_the_change_of_the_two_saved_runs(demo: dict[str, Any]) -> None:
    db = demo["db"]
    action = _add(db, indicator="Q9_02")
    result = api.get_action(db, ADMIN, action.id).result
    assert result is not None and result.outcome == "compared" and result.test == "z"
    assert (result.before_source, result.after_source) == ("demo-sipas-2023", "demo-sipas-2024")
    # The same numbers as `sipas change demo-sipas-2023 demo-sipas-2024` for Hà Nội's item.
    change = estimation.change_view(db, "demo-sipas-2023", "demo-sipas-2024")
    row = next(
        r
        for r in change["rows"]
        if r["partition"] == "province" and r["cell"] == "01" and r["indicator"] == "Q9_02"
    )
    assert result.before == pytest.approx(row["before"], abs=1e-4)
    assert result.after == pytest.approx(row["after"], abs=1e-4)
    assert result.change == pytest.approx(row["change"], abs=1e-4)
    assert result.significant == row["significant"]
    # By hand: the change is after − before, its SE the root of the sum of the two variances
    # (independent samples), significant when |change| > 1.96 SE; the intervals are the runs'.
    se = math.hypot(row["se_before"], row["se_after"])
    assert result.change == pytest.approx(result.after - result.before, abs=1e-12)
    assert result.se == pytest.approx(se, abs=1e-4)
    assert result.significant == (abs(result.change) > Z_95 * result.se)
    assert result.before_low < result.before < result.before_high
    assert result.after_high - result.after == pytest.approx(Z_95 * row["se_after"], abs=1e-3)


@pytest.mark.slow  # a demo of two years, or dossiers of two years
def test_across_the_2025_merger_nothing_is_compared(demo: dict[str, Any]) -> None:
    db = demo["db"]
    action = _add(db, year=2024, indicator="SIPAS")
    result = api.get_action(db, ADMIN, action.id).result
    assert result is not None and result.outcome == "not_comparable" and result.reason == "merger"
    assert result.before is not None and result.after is None and result.change is None
    assert api.result_words(result, "vi") == "Không so sánh được: tỉnh đã sắp xếp lại năm 2025"


@pytest.mark.slow  # a demo of two years, or dossiers of two years
def test_par_action_reads_the_final_campaign(demo: dict[str, Any]) -> None:
    db = demo["db"]
    action = _add(db, year=2019, index="par", indicator="3")
    assert action.source == "demo-par-2019" and action.framework == "par-province-2017"
    result = api.get_action(db, ADMIN, action.id).result
    node = next(
        n
        for n in par.results(db, "demo-par-2019", unit="01", with_nodes=True)["nodes"]
        if n["node"] == "3"
    )
    assert result is not None and result.before == node["points"]
    # No campaign of 2020: said so, with no test (PAR scores are not a sample).
    assert result.outcome == "no_results" and result.significant is None
    assert api.result_words(result, "en") == "No results of 2020 yet"


def _final_par_campaign(db: Database, code: str, year: int, previous: str) -> None:
    """A PAR round of ``year`` for the demo's two provinces, taken to its final stage the way
    the demo takes its own (self-assessed scores become the final ones)."""
    from sipas.frameworks import load_builtin, require_par
    from sipas.geo import LAST_DAY_OF_63, provinces_on
    from sipas.synthetic.par import synthetic_par_round

    framework = require_par(load_builtin("par-province-2017"))
    provinces = [p for p in provinces_on(LAST_DAY_OF_63) if p.code in ("01", "79")]
    scores = synthetic_par_round(framework, provinces, year, 7)
    units = [
        {"unit_code": p.code, "name": p.name, "kind": "province", "province_code": p.code}
        for p in provinces
    ]
    par.create_campaign(
        db, ADMIN, code=code, framework=framework.id, year=year, units=units, previous=previous
    )
    final = scores[scores["stage"] == "final"]
    entries = [
        {"unit": r["unit_code"], "node": r["node_code"], "points": float(r["points"]), "note": "x"}
        for r in final.to_dict("records")
    ]
    par.write_scores(db, ADMIN, code, "self", entries)
    for stage in ("appraisal1", "explanation", "appraisal2", "final"):
        par.advance(db, ADMIN, code, stage)


@pytest.mark.slow  # a demo of two years, or dossiers of two years
def test_par_action_places_next_years_points_beside_it(demo: dict[str, Any]) -> None:
    db = demo["db"]
    _final_par_campaign(db, "par-2020", 2020, previous="demo-par-2019")
    action = _add(db, year=2019, index="par", indicator="3", province="79")
    result = api.get_action(db, ADMIN, action.id).result

    def points(campaign: str) -> float:
        view = par.results(db, campaign, unit="79", with_nodes=True)
        return float(next(n["points"] for n in view["nodes"] if n["node"] == "3"))

    assert result is not None and result.outcome == "compared"
    assert (result.before_source, result.after_source) == ("demo-par-2019", "par-2020")
    assert result.before == points("demo-par-2019") and result.after == points("par-2020")
    assert result.change == pytest.approx(points("par-2020") - points("demo-par-2019"))
    assert result.test == "none" and result.significant is None and result.se is None
    assert api.result_words(result, "vi").startswith("Không áp dụng kiểm định")


@pytest.mark.slow  # a demo of two years, or dossiers of two years
def test_service_index_action_reads_the_stored_yearly_results(tmp_path: Path) -> None:
    from datetime import date

    from sipas.api import service_index
    from sipas.api.queries.service_index_public import unit_detail

    folder = tmp_path / "dossiers"
    service_index.generate_dossiers(
        folder, dossiers=4000, start=date(2023, 1, 1), end=date(2024, 12, 31), seed=5
    )
    for year in ("2023", "2024"):
        service_index.compute_service_index(folder, year, each="year")
    with fresh_database("sqlite", tmp_path, "service") as db:
        action = _add(db, index="service", indicator="T2")
        assert action.framework == "service-766" and action.indicator_name_en
        result = api.list_actions(db, ADMIN, service_data=folder).actions[0].result

        def share(year: str) -> float:
            found = unit_detail(folder, year, "01")["indicators"]
            return 100.0 * next(i["ratio"] for i in found if i["indicator"] == "T2")

        assert result is not None and result.outcome == "compared"
        assert result.before == pytest.approx(share("2023"))
        assert result.after == pytest.approx(share("2024"))
        assert result.change == pytest.approx(share("2024") - share("2023"))
        assert result.test == "none" and result.significant is None
        # Without the stored results there is nothing to place beside the action.
        empty = api.list_actions(db, ADMIN, service_data=tmp_path / "none").actions[0].result
        assert empty is not None and empty.outcome == "no_results" and empty.before is None


@pytest.mark.slow  # a demo of two years, or dossiers of two years
def test_cli_and_export_show_the_change_and_its_test(
    demo: dict[str, Any], run_cli: Any, tmp_path: Path
) -> None:
    url = demo["url"]
    added = run_cli(
        "--lang", "en", "--database-url", url, "actions", "add", "--province", "Hồ Chí Minh",
        "--year", "2023", "--index", "sipas", "--indicator", "Q9_02", "--task", "Tập huấn",
        "--owner", "Sở Nội vụ", "--deadline", "2024-06-30", "--target", "≥ 85%", "--format", "json",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    number = json.loads(added.output)["id"]
    expected = api.get_action(demo["db"], ADMIN, number).result
    assert expected is not None and expected.outcome == "compared"

    listed = run_cli(
        "--database-url", url, "actions", "list", "--province", "79", "--format", "json"
    )
    assert listed.exit_code == 0, listed.output
    shown = json.loads(listed.output)
    assert shown["synthetic"] is True
    mine = next(a for a in shown["actions"] if a["id"] == number)
    assert mine["result"]["change"] == pytest.approx(expected.change)
    assert mine["result"]["significant"] == expected.significant

    table = run_cli("--lang", "en", "--database-url", url, "actions", "list", "--province", "79")
    assert table.exit_code == 0 and "SYNTHETIC" in table.output
    flat = run_cli(
        "--lang", "en", "--database-url", url, "actions", "list", "--province", "79",
        "--format", "csv",
    )  # fmt: skip
    line = next(r for r in flat.output.splitlines() if r.startswith(f"{number},"))
    assert ("Significant (p =" if expected.significant else "Not significant (p =") in line
    assert f"{expected.change:+.2f}" in line

    updated = run_cli(
        "--database-url", url, "actions", "--as", "officer79", "--role", "officer",
        "--province", "79", "update", str(number), "--status", "in_progress", "--reason", "bắt đầu",
    )  # fmt: skip
    assert updated.exit_code == 0, updated.output
    assert f"Đã cập nhật hành động số {number}" in updated.output
    refused = run_cli(
        "--database-url", url, "actions", "--as", "officer01", "--role", "officer",
        "--province", "01", "update", str(number), "--status", "done",
    )  # fmt: skip
    assert refused.exit_code == 1 and "[actions.forbidden]" in refused.output
    bad = run_cli("--database-url", url, "actions", "update", str(number), "--deadline", "mai")
    assert bad.exit_code == 1 and "[actions.bad_deadline]" in bad.output

    output = tmp_path / "plan.xlsx"
    exported = run_cli("--database-url", url, "actions", "export", str(output), "--province", "79")
    assert exported.exit_code == 0, exported.output
    sheet = openpyxl.load_workbook(output).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = next(r for r in rows if r[0] == "STT")
    assert header == [
        "STT", "Nội dung yếu kém", "Chỉ tiêu", "Giải pháp/Nhiệm vụ", "Đơn vị chủ trì",
        "Thời hạn", "Tình trạng", "Minh chứng", "Kết quả năm sau: giá trị",
        "Kết quả năm sau: thay đổi", "Kết quả năm sau: có ý nghĩa hay không",
    ]  # fmt: skip
    assert rows[1][0].startswith("DỮ LIỆU GIẢ LẬP")
    body = rows[rows.index(header) + 1 :]
    line = next(r for r in body if "(Q9_02)" in str(r[1]))
    assert (
        line[0] == body.index(line) + 1
        and line[1].startswith("SIPAS 2023: ")
        and line[2] == "≥ 85%"
    )
    assert line[5] == "30/06/2024" and line[6] == "Đang thực hiện"
    assert line[8] == pytest.approx(expected.after) and line[9] == pytest.approx(expected.change)
    assert line[10].startswith("Có ý nghĩa" if expected.significant else "Không có ý nghĩa")


# --- the officer's web page -----------------------------------------------------------------------


def _csrf(client: TestClient, path: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def _client(app: Any, who: str) -> TestClient:
    client = TestClient(app, base_url="https://testserver")
    response = client.post(
        "/login",
        data={"name": who, "password": PASSWORD, "csrf": _csrf(client, "/login"), "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return client


@pytest.fixture(scope="module")
def app(demo: dict[str, Any]) -> Any:
    db = demo["db"]
    for name, role, province in [
        ("webadmin", "admin", None),
        ("webanalyst", "analyst", None),
        ("web01", "officer", "01"),
        ("web79", "officer", "79"),
        ("webclerk", "clerk", None),
    ]:
        users.create_user(db, name=name, role=role, password=PASSWORD, province=province)
    return create_app(load_settings(None, data_dir=demo["folder"] / "data"), db)


@pytest.mark.slow  # a demo of two years, or dossiers of two years
def test_officer_page_adds_updates_and_shows_next_year(app: Any) -> None:
    officer = _client(app, "web01")
    page = officer.get("/actions?lang=vi")
    assert page.status_code == 200 and "Kế hoạch khắc phục" in page.text
    token = _csrf(officer, "/actions")
    form = {
        "year": "2023", "index": "sipas", "indicator": "Q9_05", "task": "Rút ngắn thời gian chờ",
        "owner": "UBND phường Ba Đình", "deadline": "2024-03-31", "csrf": token,
    }  # fmt: skip
    added = officer.post("/actions", data=form, follow_redirects=False)
    assert added.status_code == 303, added.text
    number = int(added.headers["location"].split("saved=")[1])
    twin = officer.get("/actions.json").json()
    assert {a["province_code"] for a in twin["actions"]} == {"01"}  # own province only
    mine = next(a for a in twin["actions"] if a["id"] == number)
    result = mine["result"]
    assert result["outcome"] == "compared" and result["test"] == "z"
    assert mine["result_label"].startswith("Có ý nghĩa" if result["significant"] else "Không có")
    # The chart draws the indicator in both years with their intervals.
    names = twin["chart"]["data"][0]["y"]
    position = names.index(f"#{number} 01 Q9_05 (2023)")
    assert twin["chart"]["data"][0]["x"][position] == pytest.approx(result["before"])
    assert twin["chart"]["data"][1]["x"][position] == pytest.approx(result["after"])
    assert "error_x" in twin["chart"]["data"][1]
    html = officer.get("/actions?lang=vi").text
    assert f'id="action-{number}"' in html and 'data-chart="actions-chart"' in html
    assert mine["result_label"] in html

    done = officer.post(
        f"/actions/{number}",
        data={"status": "done", "evidence": "Quyết định 45/QĐ-UBND", "csrf": token},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert (
        next(a for a in officer.get("/actions.json").json()["actions"] if a["id"] == number)[
            "status"
        ]
        == "done"
    )
    workbook = openpyxl.load_workbook(io.BytesIO(officer.get("/actions.xlsx").content))
    cells = [c for row in workbook.active.iter_rows(values_only=True) for c in row]
    assert "Quyết định 45/QĐ-UBND" in cells and "Đã hoàn thành" in cells

    # Without the form's token nothing is written; another province's officer is refused.
    assert officer.post("/actions", data={**form, "csrf": "x"}).status_code == 403
    other = _client(app, "web79")
    assert all(a["province_code"] == "79" for a in other.get("/actions.json").json()["actions"])
    refused = other.post(
        f"/actions/{number}", data={"status": "dropped", "csrf": _csrf(other, "/actions")}
    )
    assert refused.status_code == 403


@pytest.mark.slow  # a demo of two years, or dossiers of two years
def test_page_refusals_and_roles(app: Any) -> None:
    admin = _client(app, "webadmin")
    token = _csrf(admin, "/actions")
    bad = admin.post(
        "/actions?lang=en",
        data={"province": "01", "year": "2023", "index": "sipas", "indicator": "Q9_99",
              "task": "x", "owner": "y", "deadline": "2024-01-01", "csrf": token},
    )  # fmt: skip
    assert bad.status_code == 404 and "Q9_99" in bad.text and "Traceback" not in bad.text
    analyst = _client(app, "webanalyst")
    assert analyst.get("/actions.json").status_code == 200
    assert 'id="add-form"' not in analyst.get("/actions").text
    assert (
        analyst.post(
            "/actions",
            data={"province": "01", "year": "2023", "index": "sipas", "indicator": "Q9_01",
                  "task": "x", "owner": "y", "deadline": "2024-01-01",
                  "csrf": _csrf(analyst, "/actions")},
        ).status_code
        == 403
    )  # fmt: skip
    clerk = _client(app, "webclerk")
    assert clerk.get("/actions.json").status_code == 403
    anonymous = TestClient(app, base_url="https://testserver")
    assert anonymous.get("/actions.json").status_code == 401
    assert anonymous.get("/actions", follow_redirects=False).status_code == 303
