"""Province names as people type them.

Matching is done on a *key*: lower case, diacritics and đ folded, punctuation and dashes dropped,
the words "tỉnh", "thành phố", "TP", "city", "province" removed, spaces removed. So "TP.HCM",
"Tp Hồ Chí Minh" and "ho chi minh" meet, and "Bà Rịa–Vũng Tàu" matches whatever dash was used.
A name that matches no province, or part of several ("Bình"), is refused with the closest candidates;
nothing is guessed.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources

from rapidfuzz import fuzz, process

from sipas.errors import SipasError
from sipas.geo.units import Province, all_provinces, province, provinces_on
from sipas.messages import Phrase
from sipas.text import fold_words

# Word sequences that say what kind of unit a name is, not which one.
_PREFIXES = (("thanh", "pho"), ("tinh",), ("tp",), ("t", "p"))
_SUFFIXES = (("city",), ("province",))


def name_tokens(text: str) -> list[str]:
    """Folded words of a name without the administrative prefix words."""
    words = fold_words(text)
    stripped = True
    while stripped:
        stripped = False
        for seq in _PREFIXES:
            if len(words) > len(seq) and tuple(words[: len(seq)]) == seq:
                words, stripped = words[len(seq) :], True
        for seq in _SUFFIXES:
            if len(words) > len(seq) and tuple(words[-len(seq) :]) == seq:
                words, stripped = words[: -len(seq)], True
    return words


def name_key(text: str) -> str:
    return "".join(name_tokens(text))


@cache
def _aliases() -> dict[str, str]:
    text = resources.files("sipas.geo").joinpath("data", "aliases.csv").read_text("utf-8")
    return {name_key(row["alias"]): row["code"] for row in csv.DictReader(text.splitlines())}


def _keys_of(p: Province) -> set[str]:
    keys = {name_key(p.name)}
    keys.update(alias for alias, code in _aliases().items() if code == p.code)
    return keys


def _contains(haystack: list[str], needle: list[str]) -> bool:
    n = len(needle)
    return any(haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))


def match_province(name: str, on: date) -> Province:
    """The province a typed name means on a day, or a clear refusal with candidates."""
    if not name or not name.strip():
        raise SipasError("geo.empty_name")
    candidates = provinces_on(on)
    key = name_key(name)
    if key.isdigit():
        return province(key, on)
    exact = [p for p in candidates if key in _keys_of(p)]
    if len(exact) == 1:
        return exact[0]
    tokens = name_tokens(name)
    partial = [p for p in candidates if tokens and _contains(name_tokens(p.name), tokens)]
    if len(partial) == 1 and len(tokens) >= 2:
        return partial[0]
    if len(partial) == 1:
        # One word is too little to trust ("Bình" is part of many names across the years).
        raise SipasError("geo.partial_name", name=name, date=on, candidates=[partial[0].label()])
    if len(partial) > 1:
        raise SipasError(
            "geo.ambiguous_name", name=name, date=on, candidates=[p.label() for p in partial]
        )
    _refuse_other_era(name, key, on)
    closest = closest_names(name, on)
    raise SipasError(
        "geo.unknown_name",
        name=name,
        date=on,
        candidates=closest,
        advice=(
            Phrase("geo.advice.closest", candidates=closest)
            if closest
            else Phrase("geo.advice.list")
        ),
    )


def _refuse_other_era(name: str, key: str, on: date) -> None:
    """A name valid only in the other geography gets a message that says so."""
    for p in all_provinces():
        if key in _keys_of(p) and not p.valid_on(on):
            advice = Phrase("geo.advice.date_inside")
            if p.successor is not None and p.valid_to is not None and on > p.valid_to:
                advice = Phrase(
                    "geo.advice.merged_from_reform", successor=province(p.successor, on).label()
                )
            raise SipasError(
                "geo.name_not_valid_on_date",
                name=name,
                province=p.label(),
                period=p.period(),
                date=on,
                advice=advice,
            )


def closest_names(name: str, on: date, limit: int = 3) -> list[str]:
    choices = {p.label(): name_key(p.name) for p in provinces_on(on)}
    found = process.extract(
        name_key(name), choices, scorer=fuzz.ratio, limit=limit, score_cutoff=50
    )
    return [label for _, _, label in found]


@dataclass(frozen=True)
class FormerProvince:
    """A province that ended before 2008-08-01: merged into another or split."""

    name: str
    ended: date
    how: str  # merged | split
    successors: tuple[str, ...]  # codes of the 63-province geography
    source: str

    def successor_labels(self) -> str:
        on = date(2008, 8, 1)
        return ", ".join(province(code, on).label() for code in self.successors)


@cache
def _former() -> dict[str, FormerProvince]:
    text = resources.files("sipas.geo").joinpath("data", "former_provinces.csv").read_text("utf-8")
    found = {}
    for row in csv.DictReader(text.splitlines()):
        former = FormerProvince(row["name"], date.fromisoformat(row["ended"]), row["how"],
                                tuple(row["successors"].split(";")), row["source"])  # fmt: skip
        found[name_key(row["name"])] = former
    return found


def former_province(name: str) -> FormerProvince | None:
    """The former province a name means (Hà Tây, Nghệ Tĩnh, …), or None."""
    return _former().get(name_key(name))
