"""Bytes to Vietnamese text: encodings as Excel and field tools write them, and legacy font encodings.

- Byte-order marks decide first: UTF-8 with BOM (Excel's "CSV UTF-8"), UTF-16 LE/BE (Excel's
  "Unicode text"). Without one, UTF-8 is tried, then Windows-1258 (Excel's "CSV" on a Vietnamese
  Windows), whose separate tone marks are composed by NFC normalisation.
- A file whose lines are partly UTF-8 and partly Windows-1258 (two clerks' files pasted together)
  is decoded line by line and the Windows-1258 lines are reported.
- Text typed with the legacy 8-bit font encodings reads as nonsense in Unicode: TCVN3/ABC
  ("Hµ Néi" for "Hà Nội") is converted character by character (TCVN 5712:1993 VN3 table);
  VNI Windows ("Haø Noäi": a letter followed by its marks) is converted by composing each letter
  with the marks that follow it. Either conversion is reported, so a person checks a few names.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from sipas.errors import SipasError
from sipas.messages import Phrase

# TCVN3 (ABC) byte → Unicode, for the bytes that carry Vietnamese letters (a Latin-1 reading of
# the byte is the character a Unicode program shows).
_TCVN3 = {
    0xA1: "Ă", 0xA2: "Â", 0xA3: "Ê", 0xA4: "Ô", 0xA5: "Ơ", 0xA6: "Ư", 0xA7: "Đ",
    0xA8: "ă", 0xA9: "â", 0xAA: "ê", 0xAB: "ô", 0xAC: "ơ", 0xAD: "ư", 0xAE: "đ",
    0xB5: "à", 0xB6: "ả", 0xB7: "ã", 0xB8: "á", 0xB9: "ạ",
    0xBB: "ằ", 0xBC: "ẳ", 0xBD: "ẵ", 0xBE: "ắ", 0xC6: "ặ",
    0xC7: "ầ", 0xC8: "ẩ", 0xC9: "ẫ", 0xCA: "ấ", 0xCB: "ậ",
    0xCC: "è", 0xCE: "ẻ", 0xCF: "ẽ", 0xD0: "é", 0xD1: "ẹ",
    0xD2: "ề", 0xD3: "ể", 0xD4: "ễ", 0xD5: "ế", 0xD6: "ệ",
    0xD7: "ì", 0xD8: "ỉ", 0xDC: "ĩ", 0xDD: "í", 0xDE: "ị",
    0xDF: "ò", 0xE1: "ỏ", 0xE2: "õ", 0xE3: "ó", 0xE4: "ọ",
    0xE5: "ồ", 0xE6: "ổ", 0xE7: "ỗ", 0xE8: "ố", 0xE9: "ộ",
    0xEA: "ờ", 0xEB: "ở", 0xEC: "ỡ", 0xED: "ớ", 0xEE: "ợ",
    0xEF: "ù", 0xF1: "ủ", 0xF2: "ũ", 0xF3: "ú", 0xF4: "ụ",
    0xF5: "ừ", 0xF6: "ử", 0xF7: "ữ", 0xF8: "ứ", 0xF9: "ự",
    0xFA: "ỳ", 0xFB: "ỷ", 0xFC: "ỹ", 0xFD: "ý", 0xFE: "ỵ",
}  # fmt: skip
TCVN3_TABLE = str.maketrans({chr(byte): char for byte, char in _TCVN3.items()})
# Characters that TCVN3 text shows and Vietnamese Unicode text never contains.
_TCVN3_SIGNS = re.compile("[\u00a1-\u00a7\u00a8-\u00ae\u00b5-\u00b9\u00bb-\u00be]")
# VNI: a vowel followed by a separate mark byte (ø ù û õ ï tones; â ê ô å ä ë ü … hats and breves),
# and ö/ñ for ư/đ. Vietnamese Unicode text never has these pairs.
_VNI_SIGNS = re.compile("[aeiouyAEIOUY][øùûïäåëüÖØÙÛÏÄÅËÜ]|[ñÑ][aeiouöAEIOUÖ]|ö[aeiouø]")
# Vietnamese letters a Unicode text has and legacy text does not.
_VIETNAMESE = re.compile("[ăâđêôơưĂÂĐÊÔƠƯ\u1ea0-\u1ef9]")


_GRAVE, _ACUTE, _HOOK, _TILDE, _DOT = "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"
_HAT, _BREVE = "\u0302", "\u0306"
_VNI_TONES = {"ø": _GRAVE, "ù": _ACUTE, "û": _HOOK, "õ": _TILDE, "ï": _DOT}
_VNI_HATS = {"â": "", "à": _GRAVE, "á": _ACUTE, "å": _HOOK, "ã": _TILDE, "ä": _DOT}
_VNI_BREVES = {"ê": "", "è": _GRAVE, "é": _ACUTE, "ú": _HOOK, "ü": _TILDE, "ë": _DOT}
_VNI_LETTERS = {"ô": "ơ", "ö": "ư", "ñ": "đ", "æ": "ỉ", "ó": "ĩ", "ò": "ị", "î": "ỵ"}
_VOWELS = set("aeiouyăâêôơư")


def vni_to_unicode(text: str) -> str:
    """VNI Windows text (as a Unicode program shows it) to Vietnamese Unicode, NFC."""
    out: list[str] = []
    for char in text:
        lower = char.lower()
        upper = char != lower
        previous = out[-1] if out else ""
        base = unicodedata.normalize("NFD", previous)[:1].lower() if previous else ""
        plain = previous.lower() in ("a", "e", "o")
        if lower in _VNI_HATS and plain:
            out[-1] = unicodedata.normalize("NFC", previous + _HAT + _VNI_HATS[lower])
        elif lower in _VNI_BREVES and previous.lower() == "a":
            out[-1] = unicodedata.normalize("NFC", previous + _BREVE + _VNI_BREVES[lower])
        elif lower in _VNI_TONES and previous and _base_vowel(previous) and base:
            out[-1] = unicodedata.normalize("NFC", previous + _VNI_TONES[lower])
        elif lower in _VNI_LETTERS:
            letter = _VNI_LETTERS[lower]
            out.append(letter.upper() if upper else letter)
        else:
            out.append(char)
    return "".join(out)


def _base_vowel(char: str) -> bool:
    """A vowel without a tone yet (it may carry a hat, a breve or a horn)."""
    decomposed = unicodedata.normalize("NFD", char.lower())
    if any(mark in decomposed for mark in (_GRAVE, _ACUTE, _HOOK, _TILDE, _DOT)):
        return False
    return unicodedata.normalize("NFC", decomposed) in _VOWELS


@dataclass
class Decoded:
    text: str
    encoding: str  # what the bytes were read as
    legacy: str | None = None  # "TCVN3" when the text was converted from it
    cp1258_lines: list[int] = field(default_factory=list)  # 1-based lines of a mixed file


def nfc(text: str) -> str:
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def decode_bytes(data: bytes, name: str) -> Decoded:
    """Text of a file in any of the encodings Vietnamese spreadsheets are saved in."""
    if data.startswith(b"\xef\xbb\xbf"):
        return _finish(data[3:].decode("utf-8", errors="strict"), "UTF-8 with BOM", name)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return _finish(data.decode("utf-16"), "UTF-16", name)
        except UnicodeDecodeError:
            raise _unreadable(name, Phrase("ingest.encoding.utf16")) from None
    if data[:4000].count(b"\x00") > len(data[:4000]) // 4:
        for codec in ("utf-16-le", "utf-16-be"):
            try:
                return _finish(data.decode(codec), "UTF-16", name)
            except UnicodeDecodeError:
                continue
        raise _unreadable(name, Phrase("ingest.encoding.binary"))
    try:
        return _finish(data.decode("utf-8"), "UTF-8", name)
    except UnicodeDecodeError:
        pass
    # Legacy font text saved by an 8-bit program: the bytes are the font's glyph numbers, which
    # a Latin-1 reading keeps (Windows-1258 would turn some into combining marks).
    latin = data.decode("latin-1")
    if legacy_encoding(latin) is not None:
        return _finish(latin, "8-bit (legacy font)", name)
    return _mixed_or_cp1258(data, name)


def _mixed_or_cp1258(data: bytes, name: str) -> Decoded:
    lines = data.split(b"\n")
    out: list[str] = []
    legacy: list[int] = []
    utf8_seen = False
    for number, line in enumerate(lines, start=1):
        try:
            text = line.decode("utf-8")
            utf8_seen = utf8_seen or not line.isascii()
        except UnicodeDecodeError:
            try:
                text = line.decode("cp1258")
            except UnicodeDecodeError:
                raise _unreadable(name, Phrase("ingest.encoding.mixed", line=number)) from None
            legacy.append(number)
        out.append(text)
    decoded = _finish("\n".join(out), "Windows-1258", name)
    if utf8_seen:
        decoded.encoding = "mixed UTF-8 and Windows-1258"
        decoded.cp1258_lines = legacy
    return decoded


def _unreadable(name: str, why: Phrase) -> SipasError:
    return SipasError("ingest.bad_encoding", file=name, reason=why)


def _finish(text: str, encoding: str, name: str) -> Decoded:
    if "\x00" in text:
        raise _unreadable(name, Phrase("ingest.encoding.nul", encoding=encoding))
    text = nfc(text)
    legacy = legacy_encoding(text)
    if legacy == "VNI":
        return Decoded(vni_to_unicode(text), encoding, legacy="VNI")
    if legacy == "TCVN3":
        return Decoded(nfc(text.translate(TCVN3_TABLE)), encoding, legacy="TCVN3")
    return Decoded(text, encoding)


def legacy_encoding(text: str) -> str | None:
    """ "TCVN3" or "VNI" when the text looks typed in that legacy encoding, else None."""
    sample = text if len(text) <= 2_000_000 else text[:1_000_000] + text[-1_000_000:]
    if _VIETNAMESE.search(sample) and len(_VIETNAMESE.findall(sample)) > 5 * (
        len(_TCVN3_SIGNS.findall(sample)) + len(_VNI_SIGNS.findall(sample))
    ):
        return None  # real Vietnamese Unicode text; a stray sign is not a legacy file
    tcvn = len(_TCVN3_SIGNS.findall(sample))
    vni = len(_VNI_SIGNS.findall(sample))
    if tcvn >= 2 and tcvn >= vni:
        return "TCVN3"
    if vni >= 2:
        return "VNI"
    return None


def convert_legacy_values(values: list[str], name: str) -> tuple[list[str], str | None]:
    """Text cells of a spreadsheet converted from TCVN3 or VNI, with what was found."""
    found = legacy_encoding("\n".join(values))
    if found == "VNI":
        return [vni_to_unicode(v) for v in values], found
    if found == "TCVN3":
        return [nfc(v.translate(TCVN3_TABLE)) for v in values], found
    return values, None
