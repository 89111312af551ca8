"""Small real files of each type accepted as evidence, and files that only pretend to be one."""

from __future__ import annotations

import io
import zipfile

# A whole one-page PDF: catalog, page tree, page, cross-reference table, trailer, %%EOF.
MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj\n<</Type/Catalog/Pages 2 0 R>>\nendobj\n2 0 obj\n"
    b"<</Type/Pages/Kids[3 0 R]/Count 1>>\nendobj\n3 0 obj\n"
    b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>\nendobj\n"
    b"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000054 00000 n \n"
    b"0000000105 00000 n \ntrailer\n<</Size 4/Root 1 0 R>>\nstartxref\n170\n%%EOF\n"
)
# An HTML page that starts with %PDF (and even ends with %%EOF): not a PDF.
FAKE_PDF = b"%PDF-1.7\n<html><body><script>alert(1)</script></body></html>\n%%EOF\n"

_CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns='
    b'"http://schemas.openxmlformats.org/package/2006/content-types"></Types>'
)


def ooxml(main_part: str, extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr(main_part, b"<?xml version='1.0'?><document>van ban</document>")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def docx() -> bytes:
    return ooxml("word/document.xml")


def xlsx() -> bytes:
    return ooxml("xl/workbook.xml")


def zip_bomb_docx(megabytes: int = 300) -> bytes:
    """A .docx whose one extra part is `megabytes` of zeros: a few hundred KB packed."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("word/document.xml", b"<document/>")
        with archive.open("word/media/bomb.bin", "w", force_zip64=True) as part:
            block = bytes(1024 * 1024)
            for _ in range(megabytes):
                part.write(block)
    return buffer.getvalue()


def png(width: int = 4, height: int = 3) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (20, 120, 30)).save(buffer, format="JPEG")
    return buffer.getvalue()
