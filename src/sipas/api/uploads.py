"""Uploaded files checked by their structure, not by their first bytes alone.

A PDF must parse (its cross-reference table or stream, trailer and pages, read by pypdf) and end
with ``%%EOF``; a DOCX or XLSX must be a valid Office Open XML package (a zip whose every member
decompresses with its checksum, with ``[Content_Types].xml`` and the document's main part) whose
uncompressed size and compression ratio stay within limits, so a zip bomb is refused before it is
unpacked; a PNG or JPEG must decode completely, within a limit of pixels.
"""

from __future__ import annotations

import io
import logging
import warnings
import zipfile

from sipas.errors import SipasError

MAX_UNCOMPRESSED = 200 * 1024 * 1024  # an office document's parts, unpacked
MAX_RATIO = 100  # unpacked / packed; real documents are ~2–20, zip bombs hundreds to millions
MAX_MEMBERS = 10_000
MAX_PIXELS = 50_000_000  # e.g. 8,000 × 6,000: any photo or scan
_MAIN_PART = {".docx": "word/document.xml", ".xlsx": "xl/workbook.xml"}
_IMAGE_FORMAT = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}


def check_structure(filename: str, suffix: str, content: bytes) -> None:
    """Refuse ``content`` unless it is a whole, readable file of type ``suffix``."""
    if suffix == ".pdf":
        _check_pdf(filename, content)
    elif suffix in _MAIN_PART:
        _check_ooxml(filename, suffix, content)
    elif suffix in _IMAGE_FORMAT:
        _check_image(filename, suffix, content)


def _check_pdf(filename: str, content: bytes) -> None:
    from pypdf import PdfReader

    if b"%%EOF" not in content[-2048:]:
        raise SipasError("upload.pdf_invalid", file=filename)
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(content), strict=False)
            if reader.is_encrypted:
                return  # a protected PDF: its structure was read, its pages cannot be
            pages = len(reader.pages)
            if pages:
                reader.pages[0].mediabox  # noqa: B018  (the first page's dictionary is read)
    except Exception:  # pypdf raises many kinds of error on a damaged or fake file
        raise SipasError("upload.pdf_invalid", file=filename) from None
    if pages == 0:
        raise SipasError("upload.pdf_invalid", file=filename)


def _check_ooxml(filename: str, suffix: str, content: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise SipasError("upload.ooxml_invalid", file=filename, kind=suffix) from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise SipasError("upload.zip_bomb", file=filename)
        unpacked = sum(m.file_size for m in members)
        packed = max(len(content), 1)
        if unpacked > MAX_UNCOMPRESSED or unpacked > MAX_RATIO * packed:
            raise SipasError(
                "upload.zip_bomb_size",
                file=filename,
                unpacked_mb=round(unpacked / 1024 / 1024, 1),
                limit_mb=MAX_UNCOMPRESSED // 1024 // 1024,
                ratio=MAX_RATIO,
            )
        names = {m.filename for m in members}
        for part in ("[Content_Types].xml", _MAIN_PART[suffix]):
            if part not in names:
                raise SipasError("upload.ooxml_part_missing", file=filename, kind=suffix, part=part)
        # Every member unpacks to exactly its declared size with its checksum (zipfile reads no
        # more than the declared size, so the limit above bounds the work).
        try:
            for member in members:
                with archive.open(member) as handle:
                    while handle.read(1024 * 1024):
                        pass
        except Exception:  # zlib errors and the like: a damaged member
            raise SipasError("upload.ooxml_invalid", file=filename, kind=suffix) from None


def _check_image(filename: str, suffix: str, content: bytes) -> None:
    from PIL import Image, ImageFile

    # Another library in the process (a PDF renderer) may have told Pillow to accept truncated
    # images: evidence must be whole, so verify() checks every chunk first, whatever that says.
    try:
        with Image.open(io.BytesIO(content)) as image:
            image.verify()
    except Exception:
        raise SipasError("upload.image_invalid", file=filename) from None
    if ImageFile.LOAD_TRUNCATED_IMAGES and not content.rstrip(b"\x00").endswith(
        (b"IEND\xaeB`\x82", b"\xff\xd9")
    ):
        raise SipasError("upload.image_invalid", file=filename)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                if image.format != _IMAGE_FORMAT[suffix]:
                    raise SipasError("upload.image_invalid", file=filename)
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise SipasError(
                        "upload.image_too_large",
                        file=filename,
                        pixels=width * height,
                        limit=MAX_PIXELS,
                    )
                image.load()  # decodes every pixel: a truncated or damaged image fails here
    except SipasError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise SipasError("upload.image_bomb", file=filename, limit=MAX_PIXELS) from None
    except Exception:
        raise SipasError("upload.image_invalid", file=filename) from None
