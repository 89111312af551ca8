"""Provinces over time: the 2025 crosswalk, code+date look-ups and name matching."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sipas.errors import SipasError
from sipas.geo import (
    LAST_DAY_OF_63,
    REFORM_DAY,
    Province,
    all_provinces,
    crosswalk,
    geography_on,
    match_province,
    members_of,
    province,
    provinces_on,
    successor_of,
)
from sipas.geo.names import name_tokens
from sipas.text import fold

BEFORE = date(2025, 6, 30)
AFTER = date(2025, 7, 1)
LATER = date(2025, 8, 1)
MID_63 = date(2024, 6, 1)


def _error(call, *args) -> SipasError:
    with pytest.raises(SipasError) as caught:
        call(*args)
    return caught.value


# --- the crosswalk -------------------------------------------------------------------------------


def test_there_are_63_provinces_on_the_last_day_before_the_reform() -> None:
    assert len(provinces_on(BEFORE)) == 63
    assert len({p.code for p in provinces_on(BEFORE)}) == 63


def test_there_are_34_provinces_from_the_reform_day() -> None:
    assert len(provinces_on(AFTER)) == 34
    assert len({p.code for p in provinces_on(AFTER)}) == 34


def test_reform_constants_are_consecutive_days() -> None:
    assert LAST_DAY_OF_63 == BEFORE
    assert REFORM_DAY == AFTER


def test_every_old_province_maps_to_exactly_one_new_province() -> None:
    new = set(provinces_on(AFTER))
    pairs = crosswalk()
    assert [old for old, _ in pairs] == provinces_on(BEFORE)
    for old, successor in pairs:
        assert successor in new
        assert successor_of(old) == successor
        assert sum(old in members_of(p) for p in new) == 1, old.label()


def test_each_new_province_lists_exactly_the_old_provinces_that_map_to_it() -> None:
    old = provinces_on(BEFORE)
    for new in provinces_on(AFTER):
        expected = {p for p in old if successor_of(p) == new}
        assert set(members_of(new)) == expected, new.label()
        assert len(members_of(new)) == len(expected)


def test_members_cover_all_63_without_overlap() -> None:
    all_members = [m for new in provinces_on(AFTER) for m in members_of(new)]
    assert len(all_members) == 63
    assert set(all_members) == set(provinces_on(BEFORE))


def test_every_new_province_has_a_population() -> None:
    for new in provinces_on(AFTER):
        assert new.population is not None and new.population > 0, new.label()


def test_new_centre_is_one_of_the_members() -> None:
    for new in provinces_on(AFTER):
        assert new.centre_in_former in new.formed_from, new.label()
        assert new.code == new.centre_in_former, new.label()


def test_ho_chi_minh_city_absorbed_binh_duong_and_ba_ria_vung_tau() -> None:
    members = {p.name for p in members_of(province("79", AFTER))}
    assert members == {"Hồ Chí Minh", "Bình Dương", "Bà Rịa - Vũng Tàu"}


def test_geography_is_63_before_and_34_from_the_reform() -> None:
    assert geography_on(BEFORE) == "63"
    assert geography_on(AFTER) == "34"


# --- code + date look-ups ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "before", "after"),
    [
        ("15", "Yên Bái", "Lào Cai"),
        ("24", "Bắc Giang", "Bắc Ninh"),
        ("44", "Quảng Bình", "Quảng Trị"),
        ("52", "Bình Định", "Gia Lai"),
        ("80", "Long An", "Tây Ninh"),
        ("82", "Tiền Giang", "Đồng Tháp"),
        ("91", "Kiên Giang", "An Giang"),
    ],
)
def test_reused_code_names_different_provinces_before_and_after(
    code: str, before: str, after: str
) -> None:
    old, new = province(code, BEFORE), province(code, AFTER)
    assert old.name == before
    assert new.name == after
    assert old.key != new.key
    assert old.valid_to == BEFORE
    assert new.valid_from == AFTER


def test_code_lookup_accepts_a_one_digit_code() -> None:
    assert province("1", AFTER).name == "Hà Nội"


def test_code_valid_only_before_the_reform_is_refused_after_with_successor_hint() -> None:
    exc = _error(province, "02", LATER)
    assert exc.code == "geo.code_not_valid_on_date"
    assert "Hà Giang" in exc.message
    assert exc.hint is not None and "Tuyên Quang" in exc.hint


def test_unknown_code_is_refused() -> None:
    assert _error(province, "99", AFTER).code == "geo.unknown_code"


@pytest.mark.parametrize("call", [provinces_on, geography_on])
def test_date_before_2008_has_no_geography(call) -> None:
    assert _error(call, date(2008, 7, 31)).code == "geo.no_geography"


def test_name_lookup_before_2008_has_no_geography() -> None:
    assert _error(match_province, "Hà Nội", date(2000, 1, 1)).code == "geo.no_geography"


def test_code_lookup_before_2008_has_no_geography() -> None:
    assert _error(province, "01", date(2000, 1, 1)).code == "geo.no_geography"


def test_dong_nai_becomes_a_city_on_2026_04_30() -> None:
    dong_nai = province("75", AFTER)
    assert dong_nai.kind_on(date(2026, 4, 29)) == "tỉnh"
    assert dong_nai.kind_on(date(2026, 4, 30)) == "thành phố"


def test_old_dong_nai_stays_a_province() -> None:
    assert province("75", BEFORE).kind_on(date(2026, 4, 30)) == "tỉnh"


# --- name matching -------------------------------------------------------------------------------

NFD_HA_NOI = unicodedata.normalize("NFD", "Hà Nội")


@pytest.mark.parametrize(
    ("name", "day", "code"),
    [
        ("TP.HCM", MID_63, "79"),
        ("TP.HCM", LATER, "79"),
        ("Tp Hồ Chí Minh", MID_63, "79"),
        ("TP. Hồ Chí Minh", LATER, "79"),
        ("Thành phố Hồ Chí Minh", MID_63, "79"),
        ("Thành phố Hồ Chí Minh", LATER, "79"),
        ("ho chi minh city", MID_63, "79"),
        ("HCM", LATER, "79"),
        ("Sài Gòn", MID_63, "79"),
        ("Thừa Thiên Huế", BEFORE, "46"),
        ("Thừa Thiên Huế", AFTER, "46"),
        ("Thừa Thiên - Huế", BEFORE, "46"),
        ("Thừa Thiên - Huế", AFTER, "46"),
        ("Huế", AFTER, "46"),
        ("TT Huế", BEFORE, "46"),
        ("TT Huế", AFTER, "46"),
        ("Bà Rịa–Vũng Tàu", MID_63, "77"),
        ("Bà Rịa—Vũng Tàu", MID_63, "77"),
        ("Bà Rịa - Vũng Tàu", BEFORE, "77"),
        ("ba ria vung tau", MID_63, "77"),
        ("BRVT", MID_63, "77"),
        ("HÀ NỘI", MID_63, "01"),
        ("Hanoi", LATER, "01"),
        ("thành phố Hà Nội", MID_63, "01"),
        (NFD_HA_NOI, LATER, "01"),
        ("Thanh Hoá", MID_63, "38"),
        ("Thanh Hóa", MID_63, "38"),
        ("Thanh Hóa", LATER, "38"),
        ("Dak Lak", MID_63, "66"),
        ("Đắc Lắc", LATER, "66"),
    ],
)
def test_real_world_spelling_matches(name: str, day: date, code: str) -> None:
    found = match_province(name, day)
    assert found.code == code
    assert found.valid_on(day)


def test_hue_alone_matches_thua_thien_hue_before_the_reform() -> None:
    assert match_province("Huế", BEFORE).code == "46"


def test_decomposed_input_is_normalised() -> None:
    assert NFD_HA_NOI != "Hà Nội"
    assert match_province(NFD_HA_NOI, MID_63).name == "Hà Nội"


def test_thanh_hoa_keeps_its_first_word() -> None:
    # "thanh" is also the first word of "thành phố": it must not be stripped as a prefix.
    assert name_tokens("Thanh Hóa") == ["thanh", "hoa"]
    assert name_tokens("Thành phố Thanh Hóa") == ["thanh", "hoa"]


def test_name_valid_only_before_the_reform_is_refused_with_successor_hint() -> None:
    exc = _error(match_province, "Bà Rịa - Vũng Tàu", LATER)
    assert exc.code == "geo.name_not_valid_on_date"
    assert exc.hint is not None and "79 Hồ Chí Minh" in exc.hint


def test_one_word_shared_by_several_names_is_ambiguous() -> None:
    exc = _error(match_province, "Bình", MID_63)
    assert exc.code == "geo.ambiguous_name"
    candidates = exc.values["candidates"]
    assert len(candidates) > 1
    assert {"52 Bình Định", "74 Bình Dương", "37 Ninh Bình"} <= set(candidates)


def test_misspelt_name_is_refused_with_closest_candidate_first() -> None:
    exc = _error(match_province, "Quang Nin", MID_63)
    assert exc.code == "geo.unknown_name"
    assert exc.values["candidates"][0] == "22 Quảng Ninh"


@pytest.mark.parametrize("name", ["", "   "])
def test_empty_name_is_refused(name: str) -> None:
    assert _error(match_province, name, MID_63).code == "geo.empty_name"


def test_unknown_name_is_refused() -> None:
    assert _error(match_province, "Atlantis", LATER).code == "geo.unknown_name"


# --- property: every official name, however typed, finds its province ----------------------------

_DAYS_63 = (date(2008, 8, 1), date(2015, 1, 1), BEFORE)
_DAYS_34 = (AFTER, date(2026, 4, 30), date(2030, 12, 31))


@st.composite
def _province_and_day(draw: st.DrawFn) -> tuple[Province, date]:
    chosen = draw(st.sampled_from(all_provinces()))
    day = draw(st.sampled_from(_DAYS_63 if chosen.geography == "63" else _DAYS_34))
    return chosen, day


_CASES = (str, str.upper, str.lower)


@settings(max_examples=200, deadline=None)
@given(
    chosen=_province_and_day(),
    case=st.sampled_from(_CASES),
    strip_diacritics=st.booleans(),
    en_dash=st.booleans(),
    prefix=st.sampled_from(["", "Tỉnh ", "Thành phố ", "TP. "]),
)
def test_variant_of_official_name_matches_its_province(
    chosen: tuple[Province, date], case, strip_diacritics: bool, en_dash: bool, prefix: str
) -> None:
    expected, day = chosen
    variant = expected.name.replace(" - ", "–") if en_dash else expected.name
    variant = case(prefix + variant)
    if strip_diacritics:
        variant = fold(variant)
    assert match_province(variant, day) == expected
