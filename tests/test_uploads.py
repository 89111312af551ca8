"""Evidence uploads are checked by their structure; an uploader may delete a file before the lock.

Real files made here (a one-page PDF, Office Open XML packages, PNG and JPEG images) pass; an
HTML page that starts with %PDF, a zip bomb named .docx, a truncated image and the like do not,
and nothing of a refused file is stored.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from par_fixtures import EVERY_RUBRIC
from sipas.api import par
from sipas.api.par import Actor
from sipas.api.par.evidence import delete_evidence
from sipas.api.uploads import MAX_RATIO, check_structure
from sipas.errors import SipasError
from sipas.store import Database, audit, open_database
from upload_samples import FAKE_PDF, MINIMAL_PDF, docx, jpeg, ooxml, png, xlsx, zip_bomb_docx

ADMIN = Actor("admin", "admin")
AN = Actor("an", "officer", province_code="01")
HOA = Actor("hoa", "officer", province_code="01")
PASSWORD = "mat-khau-dai-1"
UNITS = [
    {"unit_code": "D1", "name": "Sở Nội vụ Hà Nội", "kind": "department", "province_code": "01"}
]


def _refused(code: str, filename: str, content: bytes) -> SipasError:
    with pytest.raises(SipasError) as error:
        check_structure(filename, Path(filename).suffix, content)
    assert error.value.code == code
    return error.value


def test_real_files_pass() -> None:
    from pypdf import PdfWriter

    written = io.BytesIO()
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.write(written)
    for name, content in [
        ("a.pdf", MINIMAL_PDF),
        ("b.pdf", written.getvalue()),
        ("c.docx", docx()),
        ("d.xlsx", xlsx()),
        ("e.png", png()),
        ("f.jpg", jpeg()),
        ("g.jpeg", jpeg()),
    ]:
        check_structure(name, Path(name).suffix, content)


def test_an_html_page_starting_with_pdf_is_refused() -> None:
    _refused("upload.pdf_invalid", "ke-hoach.pdf", FAKE_PDF)
    _refused("upload.pdf_invalid", "cut.pdf", MINIMAL_PDF[:-40])  # no trailer, no %%EOF
    # the header and %%EOF alone are not a PDF either
    _refused("upload.pdf_invalid", "empty.pdf", b"%PDF-1.4\n%%EOF\n")
    error = _refused("upload.pdf_invalid", "ke-hoach.pdf", FAKE_PDF)
    assert error.text("vi")[0] == (
        "Tệp ke-hoach.pdf không phải là tệp PDF đọc được (không đủ cấu trúc PDF hoặc bị hỏng)"
    )


def test_a_zip_bomb_named_docx_is_refused_before_it_is_unpacked() -> None:
    bomb = zip_bomb_docx(300)
    assert len(bomb) < 1024 * 1024  # 300 MB of zeros, packed into a few hundred KB
    error = _refused("upload.zip_bomb_size", "bao-cao.docx", bomb)
    assert error.values["unpacked_mb"] == 300.0
    # Under the size limit, the ratio still refuses it (10 MB from ~10 KB).
    small = zip_bomb_docx(10)
    assert len(small) * MAX_RATIO < 10 * 1024 * 1024
    _refused("upload.zip_bomb_size", "nho.docx", small)


def test_office_files_must_be_whole_ooxml_packages() -> None:
    _refused("upload.ooxml_invalid", "a.docx", b"PK\x03\x04" + b"not a zip at all" * 10)
    _refused("upload.ooxml_part_missing", "b.xlsx", docx())  # a Word package named .xlsx
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", b"<document/>")
    error = _refused("upload.ooxml_part_missing", "c.docx", buffer.getvalue())
    assert error.values["part"] == "[Content_Types].xml"
    # a member damaged after packing: its checksum no longer matches
    good = bytearray(ooxml("word/document.xml", {"word/extra.xml": b"x" * 5000}))
    at = bytes(good).find(b"word/extra.xml") + 40
    good[at : at + 8] = b"\x00" * 8
    _refused("upload.ooxml_invalid", "d.docx", bytes(good))


def test_images_must_decode() -> None:
    _refused("upload.image_invalid", "a.png", png(64, 64)[:60])  # truncated
    _refused("upload.image_invalid", "b.jpg", png())  # a PNG named .jpg
    _refused("upload.image_invalid", "c.png", b"\x89PNG\r\n\x1a\n" + b"<html>" * 20)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(f"sqlite:///{tmp_path / 'par.db'}")
    framework = tmp_path / "every-rubric.yaml"
    framework.write_text(EVERY_RUBRIC, encoding="utf-8")
    par.create_campaign(
        database,
        ADMIN,
        code="c2025",
        framework=str(framework),
        year=2025,
        units=UNITS,
        deadline=datetime.now(UTC) + timedelta(days=30),
    )
    for user in ("an", "hoa"):
        par.assign(database, ADMIN, "c2025", user=user, role="self_assessor", unit="D1")
    yield database
    database.close()


def _upload(db: Database, actor: Actor, name: str, content: bytes, node: str = "1.1") -> Any:
    return par.upload_evidence(
        db, actor, "c2025", unit="D1", node=node, filename=name, content=content
    )


def test_refused_uploads_store_nothing_and_valid_ones_are_stored(db: Database) -> None:
    for name, content, code in [
        ("gia.pdf", FAKE_PDF, "upload.pdf_invalid"),
        ("bom.docx", zip_bomb_docx(300), "upload.zip_bomb_size"),
    ]:
        with pytest.raises(SipasError) as error:
            _upload(db, AN, name, content)
        assert error.value.code == code
    assert par.list_evidence(db, AN, "c2025", "D1") == []
    for name, content in [("a.pdf", MINIMAL_PDF), ("b.docx", docx()), ("c.png", png())]:
        assert _upload(db, AN, name, content)["new"]
    assert [e["filename"] for e in par.list_evidence(db, AN, "c2025", "D1")] == [
        "a.pdf",
        "b.docx",
        "c.png",
    ]


def test_the_uploader_deletes_a_file_before_the_lock_and_it_is_audited(db: Database) -> None:
    mine = _upload(db, AN, "a.pdf", MINIMAL_PDF)["id"]
    theirs = _upload(db, HOA, "b.xlsx", xlsx())["id"]
    with pytest.raises(SipasError) as error:
        delete_evidence(db, AN, "c2025", "D1", theirs)
    assert error.value.code == "upload.not_owner" and error.value.status == 403
    with pytest.raises(SipasError) as error:
        delete_evidence(db, AN, "c2025", "D1", 999)
    assert error.value.code == "upload.evidence_unknown" and error.value.status == 404

    assert delete_evidence(db, AN, "c2025", "D1", mine)["deleted"]
    assert [e["id"] for e in par.list_evidence(db, AN, "c2025", "D1")] == [theirs]
    with db.begin() as connection:
        rows = audit.history(connection, "par_score", "c2025/D1/1.1", prefix=True)
    deleted = [r for r in rows if r["action"] == "par.evidence_delete"]
    assert len(deleted) == 1 and deleted[0]["actor"] == "an"
    assert deleted[0]["before"]["evidence"] == "a.pdf"

    # After the lock nothing is deleted, not even by an admin.
    with db.begin() as connection:
        connection.exec_driver_sql("UPDATE par_units SET locked_at = CURRENT_TIMESTAMP")
    with pytest.raises(SipasError) as error:
        delete_evidence(db, ADMIN, "c2025", "D1", theirs)
    assert error.value.code == "par.locked"
    assert [e["id"] for e in par.list_evidence(db, AN, "c2025", "D1")] == [theirs]


def test_upload_and_delete_through_the_workspace_pages(db: Database, tmp_path: Path) -> None:
    import re

    from fastapi.testclient import TestClient

    from sipas.api import users
    from sipas.settings import load_settings
    from sipas.web import create_app

    for name in ("an", "hoa"):
        users.create_user(db, name=name, role="officer", password=PASSWORD, province="01")
    client = TestClient(
        create_app(load_settings(None, data_dir=tmp_path / "data"), db),
        base_url="https://testserver",
    )

    def csrf(path: str) -> str:
        found = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
        assert found, path
        return found.group(1)

    token = csrf("/login")
    client.post("/login", data={"name": "an", "password": PASSWORD, "csrf": token})
    unit = "/workspace/c2025/D1"
    token = csrf(unit)
    fake = client.post(
        f"{unit}/1.1/evidence",
        data={"csrf": token},
        files={"file": ("ke-hoach.pdf", FAKE_PDF, "application/pdf")},
        follow_redirects=False,
    )
    assert fake.status_code == 400
    assert "không phải là tệp PDF đọc được" in fake.text
    bomb = client.post(
        f"{unit}/1.1/evidence",
        data={"csrf": token},
        files={"file": ("bao-cao.docx", zip_bomb_docx(300), "application/octet-stream")},
        follow_redirects=False,
    )
    assert bomb.status_code == 413
    good = client.post(
        f"{unit}/1.1/evidence",
        data={"csrf": token},
        files={"file": ("ke-hoach.pdf", MINIMAL_PDF, "application/pdf")},
        follow_redirects=False,
    )
    assert good.status_code == 303
    page = client.get(unit)
    assert page.headers["cache-control"] == "no-store"
    found = re.search(r'action="(/workspace/c2025/D1/evidence/(\d+)/delete)"', page.text)
    assert found, "the uploader sees a delete button"
    assert client.post(found.group(1), follow_redirects=False).status_code == 403  # no CSRF
    done = client.post(found.group(1), data={"csrf": token}, follow_redirects=False)
    assert done.status_code == 303
    assert par.list_evidence(db, AN, "c2025", "D1") == []
