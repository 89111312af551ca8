"""Files as field tools write them: XLSForm through pyxform, Kobo and ODK Central exports, SPSS.

Kobo and ODK headers are not typed by hand: they are the paths of the XForm that pyxform builds
from sipas's own XLSForm export, joined as each tool documents — KoboToolbox with "/" between
groups (its default group separator) and ";" between cells (its default CSV delimiter), plus its
metadata columns; ODK Central with "-" between groups, ``SubmissionDate``, ``KEY`` and
``meta-instanceID`` and the other metadata, a zip with the main table named after the form id and
one more CSV per repeat group.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
import xml.etree.ElementTree as ET
import zipfile
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import pyreadstat
import pytest
from pyxform.xls2xform import convert

from ingest_fixtures import PERIOD_2024, gen2, responses
from sipas.api import ingest as api
from sipas.errors import SipasError
from sipas.ingest.readers import odata_source
from sipas.store import open_database
from sipas.store.surveys import load_responses

XF = "{http://www.w3.org/2002/xforms}"
JR = "{http://openrosa.org/javarosa}"


def _xform(tmp_path: Path, name: str = "sipas-gen2") -> ET.Element:
    return ET.fromstring(_converted(name))


@cache
def _converted(name: str) -> str:
    """The XForm pyxform makes of sipas's XLSForm (checked by ODK Validate when Java is there)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{name}.xlsx"
        api.export_xlsform(name, path)
        result = convert(xlsform=str(path), validate=shutil.which("java") is not None)
    return str(result.xform)


def _field_paths(root: ET.Element) -> dict[str, list[str]]:
    """Each field of the form's main instance → its group path (without the root node)."""
    data = root.find(f".//{XF}model/{XF}instance")
    assert data is not None
    top = next(iter(data))
    out: dict[str, list[str]] = {}

    def walk(node: ET.Element, trail: list[str]) -> None:
        for child in node:
            name = child.tag.replace(XF, "")
            if len(child):
                walk(child, [*trail, name])
            elif name not in ("instanceID", "meta"):
                out[name] = [*trail, name]

    walk(top, [])
    return out


@pytest.mark.parametrize("name", ["sipas-gen2", "sipas-gen1"])
def test_xlsform_converts_to_a_valid_xform_with_the_framework(tmp_path: Path, name: str) -> None:
    root = _xform(tmp_path, name)
    from sipas.frameworks import load_builtin, require_survey
    from sipas.ingest.columns import framework_columns

    framework = require_survey(load_builtin(name))
    paths = _field_paths(root)
    assert set(framework_columns(framework)) <= set(paths)
    binds = {b.attrib["nodeset"].rsplit("/", 1)[-1]: b.attrib for b in root.iter(f"{XF}bind")}
    required = {q.code for q in framework.profile + framework.questions if q.required}
    assert required
    for code in required:
        assert binds[code].get("required") == "true()", code
    assert binds["interview_date"]["constraint"] == ". <= today()"
    languages = {t.attrib["lang"] for t in root.iter(f"{XF}translation")}
    assert languages == {"Tiếng Việt (vi)", "English (en)"}
    items = framework.satisfaction.items
    assert binds[items[0].code]["type"] == "string"  # select_one
    if name == "sipas-gen2":
        assert (
            binds["district"]["relevant"].replace(" ", "")
            == "/data/interview_date<date('2025-07-01')"
        )
    else:
        q1 = next(q for q in framework.questions if q.code == "Q1")
        assert binds["Q1"]["constraint"] == f". >= {q1.min} and . <= {q1.max}"


def _as_tool_export(frame: pd.DataFrame, paths: dict[str, list[str]], sep: str) -> pd.DataFrame:
    """A frame with the tool's headers: group paths joined by ``sep``; multiple answers spaced."""
    framework = gen2()
    multiple = {q.code for q in framework.questions if q.type == "multiple"}
    out = {}
    for column in frame.columns:
        if column in paths:
            values = frame[column]
            if column in multiple:
                values = values.str.replace(";", " ")
            out[sep.join(paths[column])] = values
            if column in multiple:  # one 0/1 column per option (Kobo "both" layout)
                for option in framework.options_of(
                    next(q for q in framework.questions if q.code == column)
                ):
                    picked = (
                        frame[column]
                        .fillna("")
                        .str.split(";")
                        .apply(lambda c, o=option: str(o.code) in c)
                    )
                    out[sep.join([*paths[column], str(option.code)])] = picked.astype(int)
    return pd.DataFrame(out)


def _kobo(frame: pd.DataFrame, paths: dict[str, list[str]]) -> pd.DataFrame:
    export = _as_tool_export(frame, paths, "/")
    n = len(frame)
    export.insert(0, "start", "2024-08-03T09:00:00.000+07:00")
    export.insert(1, "end", "2024-08-03T09:35:00.000+07:00")
    export["_id"] = range(1000, 1000 + n)
    export["_uuid"] = [str(uuid.UUID(int=i + 1)) for i in range(n)]
    export["_submission_time"] = "2024-08-03T10:00:00"
    for column in (
        "_validation_status",
        "_notes",
        "_status",
        "_submitted_by",
        "__version__",
        "_tags",
    ):
        export[column] = ""
    export["_index"] = range(1, n + 1)
    return export


def _field_frame() -> pd.DataFrame:
    """Generated answers as a field team collects them: no design weights, strata or PSUs."""
    frame = responses()
    return frame.drop(columns=["province_code", "province_key", "stratum", "psu", "weight"])


def test_kobo_csv_export_imports_every_row(tmp_path: Path) -> None:
    frame = _field_frame()
    kobo = _kobo(frame, _field_paths(_xform(tmp_path)))
    assert "profile/province" in kobo.columns and "questions/Q2/3" in kobo.columns
    path = tmp_path / "kobo.csv"
    kobo.to_csv(path, sep=";", index=False)
    db = open_database(f"sqlite:///{tmp_path / 'k.db'}")
    report = api.import_file(db, path, "sipas-gen2", "kobo", PERIOD_2024)
    assert (report.rows, report.accepted, report.quarantined) == (len(frame), len(frame), 0)
    codes = {p.code for p in report.problems}
    assert "ingest.unknown_column" not in codes  # metadata and option columns are known
    assert codes == {"ingest.no_weight"}
    with db.begin() as c:
        stored = load_responses(c, "kobo").set_index("respondent_key").loc[frame["respondent_key"]]
    assert stored["Q2"].tolist() == frame["Q2"].tolist()
    assert (
        stored["Q9_03"].tolist()
        == frame["Q9_03"].astype(object).where(frame["Q9_03"].notna(), None).tolist()
    )
    assert set(stored["weight"]) == {1.0}
    assert stored["province_code"].tolist() == frame["province"].tolist()


def test_kobo_xlsx_export_imports_every_row(tmp_path: Path) -> None:
    frame = _field_frame()
    kobo = _kobo(frame, _field_paths(_xform(tmp_path)))
    path = tmp_path / "kobo.xlsx"
    kobo.to_excel(path, index=False)
    report = api.validate_file(path, "sipas-gen2", PERIOD_2024)
    assert (report.accepted, report.quarantined) == (len(frame), 0)


def test_odk_central_zip_without_form_numbers_uses_the_instance_id(tmp_path: Path) -> None:
    frame = _field_frame().drop(columns=["respondent_key"])
    export = _as_tool_export(frame, _field_paths(_xform(tmp_path)), "-")
    n = len(frame)
    keys = [f"uuid:{uuid.UUID(int=i + 7)}" for i in range(n)]
    export.insert(0, "SubmissionDate", "2024-08-05T03:12:45.000Z")
    export["meta-instanceID"] = keys
    export["KEY"] = keys
    for column, value in {"SubmitterID": 5, "SubmitterName": "clerk", "AttachmentsPresent": 0,
                          "AttachmentsExpected": 0, "Status": "", "ReviewState": "",
                          "DeviceID": "collect:abc", "Edits": 0, "FormVersion": "2024"}.items():  # fmt: skip
        export[column] = value
    path = tmp_path / "sipas_gen2.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("sipas_gen2.csv", export.to_csv(index=False))
        archive.writestr("sipas_gen2-members.csv", "PARENT_KEY,KEY,name\n")
    db = open_database(f"sqlite:///{tmp_path / 'o.db'}")
    report = api.import_file(db, path, "sipas-gen2", "odk")
    assert (report.accepted, report.quarantined) == (n, 0)
    assert "ODK Central zip" in report.format
    with db.begin() as c:
        stored = load_responses(c, "odk")
    assert sorted(stored["respondent_key"]) == sorted(k.removeprefix("uuid:") for k in keys)


def test_odata_submissions_as_pyodk_returns_them() -> None:
    """The shape of ODK Central's OData feed (what pyodk's get_table returns), offline."""
    frame = _field_frame().head(3)
    records = []
    for i, row in enumerate(frame.to_dict(orient="records")):
        profile = {q.code: row.get(q.code) for q in gen2().profile}
        items = {code: row[code] for code in gen2().item_codes()}
        records.append({
            "__id": f"uuid:{uuid.UUID(int=i + 1)}", "respondent_key": row["respondent_key"],
            "interview_date": str(row["interview_date"]), "profile": profile,
            "satisfaction": items,
            "questions": {c: row.get(c) for c in gen2().question_columns()}, "meta": {"instanceID": f"uuid:{uuid.UUID(int=i + 1)}"},
            "__system": {"submissionDate": "2024-08-05T03:12:45.000Z", "reviewState": None},
            "household": [{"name": "x"}],
        })  # fmt: skip
    source = odata_source(records, "odk:sipas_gen2")
    from sipas.ingest import Validator

    validator = Validator(gen2(), source.name, source.columns)
    checked = validator.check(next(source.chunks))
    assert checked.errors == {}
    assert checked.frame["respondent_key"].tolist() == frame["respondent_key"].tolist()


def test_pulling_from_odk_central_needs_a_configured_server(tmp_path: Path) -> None:
    with pytest.raises(SipasError) as caught:
        api.odk_source("sipas_gen2", config=tmp_path / "none.toml")
    assert caught.value.code == "ingest.odk_not_configured"


def test_spss_file_with_value_labels_imports(tmp_path: Path) -> None:
    frame = responses()
    items = gen2().item_codes()
    sav = frame.copy()
    sav["interview_date"] = pd.to_datetime(sav["interview_date"]).astype("datetime64[us]")
    for column in [*items, "sex", "age_band"]:
        sav[column] = sav[column].astype(float)
    labels = {code: {1: "Rất không hài lòng", 2: "Không hài lòng", 3: "Bình thường", 4: "Hài lòng",
                     5: "Rất hài lòng"} for code in items}  # fmt: skip
    path = tmp_path / "survey.sav"
    pyreadstat.write_sav(sav, str(path), variable_value_labels=labels)
    _, meta = pyreadstat.read_sav(str(path), metadataonly=True)
    assert meta.variable_value_labels["Q9_01"][4.0] == "Hài lòng"
    db = open_database(f"sqlite:///{tmp_path / 's.db'}")
    report = api.import_file(db, path, "sipas-gen2", "spss", PERIOD_2024)
    assert (report.accepted, report.quarantined) == (len(frame), 0)
    assert report.format.startswith("spss (33 variables with value labels")
    with db.begin() as c:
        stored = load_responses(c, "spss").set_index("respondent_key").loc[frame["respondent_key"]]
    assert (
        stored["Q9_10"].tolist()
        == frame["Q9_10"].astype(object).where(frame["Q9_10"].notna(), None).tolist()
    )
    assert stored["weight"].tolist() == pytest.approx(frame["weight"].tolist(), rel=1e-12)


def test_kobo_export_with_labels_maps_labels_back_to_codes(tmp_path: Path) -> None:
    """Kobo can export labels instead of XML values; each label is read as its code, with a warning."""
    frame = _field_frame().head(6).astype(object)
    scale = {
        1: "Rất không hài lòng",
        2: "Không hài lòng",
        3: "Bình thường",
        4: "Hài lòng",
        5: "Rất hài lòng",
    }
    labelled = frame.copy()
    labelled["Q9_01"] = [None if pd.isna(v) else scale[int(v)] for v in frame["Q9_01"]]
    labelled["sex"] = ["Male" if v == 1 else "Female" for v in frame["sex"]]
    labelled.loc[0, "Q9_02"] = "hai long"  # typed without diacritics: still the label of 4
    kobo = _kobo(labelled, _field_paths(_xform(tmp_path)))
    path = tmp_path / "labels.csv"
    kobo.to_csv(path, sep=";", index=False)
    db = open_database(f"sqlite:///{tmp_path / 'l.db'}")
    report = api.import_file(db, path, "sipas-gen2", "labels", PERIOD_2024)
    assert (report.accepted, report.quarantined) == (6, 0)
    warned = {p.field for p in report.problems if p.code == "ingest.labels_as_codes"}
    assert warned == {"Q9_01", "Q9_02", "sex"}
    with db.begin() as c:
        stored = (
            load_responses(c, "labels").set_index("respondent_key").loc[frame["respondent_key"]]
        )
    assert (
        stored["Q9_01"].tolist()
        == frame["Q9_01"].astype(object).where(frame["Q9_01"].notna(), None).tolist()
    )
    assert stored["sex"].tolist() == frame["sex"].tolist()
    assert stored["Q9_02"].iloc[0] == 4


def test_cli_import_from_odk_without_a_server_is_a_clean_error(
    run_cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    result = run_cli("import", "odk:sipas_gen2", "--framework", "sipas-gen2", "--survey", "x")
    assert result.exit_code == 1
    assert "ingest.odk_not_configured" in result.output


def test_kobo_select_multiple_as_option_columns_only_is_joined_back(tmp_path: Path) -> None:
    """Kobo's "details" layout: no summary column, one 0/1 column per option."""
    frame = _field_frame()
    kobo = _kobo(frame, _field_paths(_xform(tmp_path))).drop(
        columns=["questions/Q2", "questions/Q7"]
    )
    assert "questions/Q2/1" in kobo.columns
    path = tmp_path / "details.xlsx"
    kobo.to_excel(path, index=False)
    db = open_database(f"sqlite:///{tmp_path / 'd.db'}")
    report = api.import_file(db, path, "sipas-gen2", "details", PERIOD_2024)
    assert (report.accepted, report.quarantined) == (len(frame), 0)
    assert "ingest.absent_column" not in {p.code for p in report.problems}
    with db.begin() as c:
        stored = (
            load_responses(c, "details").set_index("respondent_key").loc[frame["respondent_key"]]
        )
    assert stored["Q2"].tolist() == frame["Q2"].tolist()
    assert stored["Q7"].tolist() == frame["Q7"].tolist()
