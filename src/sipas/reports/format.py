"""Numbers, dates and labels as a Vietnamese (or English) reader expects them.

Vietnamese writes a decimal comma and groups thousands with a dot (83,94%; 36.288 người);
dates are written "ngày 6 tháng 4 năm 2025". Every label a report shows is in :data:`LABELS`,
Vietnamese first, English second.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from sipas.text import nfc

LANGS = ("vi", "en")

_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def number(value: Any, lang: str = "vi", digits: int = 2, sign: bool = False) -> str:
    """83.9412 → "83,94" (vi) or "83.94" (en); blank for a missing value."""
    if not is_number(value):
        return "–"
    text = f"{value:+,.{digits}f}" if sign else f"{value:,.{digits}f}"
    text = text.replace("-", "−")  # a true minus sign, which does not break from its number
    if lang == "vi":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def percent(value: Any, lang: str = "vi", digits: int = 2) -> str:
    return "–" if not is_number(value) else number(value, lang, digits) + "%"


def count(value: Any, lang: str = "vi") -> str:
    return number(value, lang, 0)


def interval(low: Any, high: Any, lang: str = "vi", digits: int = 2) -> str:
    if not (is_number(low) and is_number(high)):
        return "–"
    return f"{number(low, lang, digits)}–{number(high, lang, digits)}"


def rank_interval(low: Any, high: Any) -> str:
    if low is None or high is None:
        return "–"
    return str(int(low)) if low == high else f"{int(low)}–{int(high)}"


def long_date(day: date, lang: str = "vi") -> str:
    """6 April 2025 → "ngày 6 tháng 4 năm 2025" (vi) or "6 April 2025" (en)."""
    if lang == "vi":
        return f"ngày {day.day} tháng {day.month} năm {day.year}"
    return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"


def short_date(day: date, lang: str = "vi") -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}" if lang == "vi" else day.isoformat()


def text(pair: Any, lang: str = "vi") -> str:
    """A {"vi": …, "en": …} pair (or plain text) in the wanted language, NFC."""
    if isinstance(pair, dict):
        return nfc(str(pair.get(lang) or pair.get("vi") or ""))
    return nfc(str(pair)) if pair is not None else ""


LABELS: dict[str, tuple[str, str]] = {
    "national_title": (
        "Báo cáo Chỉ số hài lòng về sự phục vụ hành chính (SIPAS) năm {year}",
        "Report on the Satisfaction Index of Public Administrative Services (SIPAS) {year}",
    ),
    "province_title": ("Báo cáo kết quả của {name} năm {year}", "Results of {name}, {year}"),
    "appraisal_title": (
        "Báo cáo thẩm định Chỉ số cải cách hành chính (PAR INDEX) năm {year}: {name}",
        "PAR INDEX appraisal report {year}: {name}",
    ),
    "synthetic": (
        "DỮ LIỆU GIẢ LẬP — không phải kết quả chính thức",
        "SYNTHETIC DATA — not official results",
    ),
    "derived": (
        "Số liệu tính lại trên 34 tỉnh, thành phố từ dữ liệu gốc (số liệu suy ra)",
        "Re-aggregated to the 34 provinces from microdata (derived)",
    ),
    "provisional": ("Bộ chỉ số tạm thời", "Provisional framework"),
    "generated": ("Lập {date}", "Prepared {date}"),
    "source_run": ("Lượt ước lượng", "Estimation run"),
    "summary": ("Tóm tắt", "Summary"),
    "national_value": ("Chỉ số SIPAS cả nước", "National SIPAS"),
    "national_mean": ("Trung bình cả nước", "National mean"),
    "pooled": ("Ước lượng gộp cả nước", "Pooled national estimate"),
    "ranking": ("Xếp hạng các tỉnh, thành phố", "Ranking of provinces"),
    "rank": ("Hạng", "Rank"),
    "rank_interval": ("Khoảng hạng 95%", "95% rank interval"),
    "province": ("Tỉnh, thành phố", "Province"),
    "code": ("Mã", "Code"),
    "region": ("Vùng", "Region"),
    "value": ("Giá trị", "Value"),
    "se": ("Sai số chuẩn", "SE"),
    "ci": ("Khoảng tin cậy 95%", "95% CI"),
    "n": ("Số phiếu", "Respondents"),
    "deff": ("Hiệu ứng thiết kế", "Design effect"),
    "unstable": ("Không ổn định", "Unstable"),
    "unstable_note": (
        "Ước lượng không ổn định: cỡ mẫu hiệu dụng dưới 30, hệ số biến thiên trên 30%, dưới 30"
        " câu trả lời hợp lệ hoặc không có sai số chuẩn.",
        "Unstable estimate: effective n below 30, CV above 30%, fewer than 30 valid answers, or no"
        " standard error.",
    ),
    "policy": ("Chính sách", "Policy"),
    "service": ("Dịch vụ", "Service"),
    "group": ("Nhóm", "Group"),
    "groups": ("Phân nhóm so với trung bình cả nước", "Groups against the national mean"),
    "above": ("Cao hơn có ý nghĩa", "Significantly above"),
    "below": ("Thấp hơn có ý nghĩa", "Significantly below"),
    "not different": ("Không khác biệt có ý nghĩa", "Not significantly different"),
    "best": ("Cao nhất", "Best"),
    "short_above": ("↑ Cao hơn", "↑ Above"),
    "short_below": ("↓ Thấp hơn", "↓ Below"),
    "short_not different": ("≈ Như TB", "≈ Not different"),
    "vs_mean": ("So với TB cả nước", "Against the mean"),
    "rank_interval_short": ("Khoảng hạng", "Rank interval"),
    "regions": ("Trung bình theo vùng", "Regional averages"),
    "provinces_count": ("Số tỉnh", "Provinces"),
    "profile": (
        "Các yếu tố, lĩnh vực so với trung bình cả nước",
        "Elements against the national mean",
    ),
    "element": ("Yếu tố", "Element"),
    "item": ("Tiêu chí", "Item"),
    "difference": ("Chênh lệch", "Difference"),
    "change": ("Thay đổi so với năm trước", "Change on the previous year"),
    "change_short": ("Thay đổi", "Change"),
    "before": ("Năm trước", "Previous year"),
    "after": ("Năm nay", "This year"),
    "significant": ("Có ý nghĩa", "Significant"),
    "yes": ("Có", "Yes"),
    "no": ("Không", "No"),
    "no_change": (
        "Không có lượt ước lượng năm trước trên cùng địa giới.",
        "No earlier run on the same geography.",
    ),
    "sample": ("Cỡ mẫu theo tỉnh", "Sample sizes per province"),
    "map": ("Bản đồ ô các tỉnh, thành phố", "Tile map of provinces"),
    "methodology": ("Phụ lục: phương pháp và giả định", "Annex: methodology and assumptions"),
    "method_short": ("Phương pháp", "Methodology"),
    "par": ("Chỉ số cải cách hành chính (PAR INDEX)", "PAR INDEX"),
    "par_none": (
        "Không có đợt đánh giá PAR INDEX đã hoàn thành cho năm này.",
        "No final PAR INDEX campaign for this year.",
    ),
    "par_index": ("Chỉ số PAR", "PAR index"),
    "area": ("Lĩnh vực", "Area"),
    "criterion": ("Tiêu chí", "Criterion"),
    "max": ("Điểm tối đa", "Max points"),
    "self": ("Tự đánh giá", "Self-assessed"),
    "appraisal1": ("Thẩm định lần 1", "Appraisal 1"),
    "appraisal2": ("Thẩm định lần 2", "Appraisal 2"),
    "final": ("Điểm đạt được", "Points achieved"),
    "reason": ("Lý do điều chỉnh", "Reason for change"),
    "history": ("Lịch sử thay đổi", "Change history"),
    "when": ("Thời điểm", "When"),
    "who": ("Người thực hiện", "Who"),
    "stage": ("Bước", "Stage"),
    "from_to": ("Từ → đến", "From → to"),
    "strengths": (
        "Điểm mạnh (cao hơn trung bình cả nước có ý nghĩa)",
        "Strengths (significantly above the national mean)",
    ),
    "weaknesses": (
        "Điểm yếu (thấp hơn trung bình cả nước có ý nghĩa)",
        "Weaknesses (significantly below the national mean)",
    ),
    "none_significant": ("Không có.", "None."),
    "priorities": ("Các tiêu chí cần ưu tiên cải thiện", "Items to improve first"),
    "priorities_rule": (
        "Tiêu chí thấp hơn trung bình cả nước có ý nghĩa, chênh lệch lớn nhất trước.",
        "Items significantly below the national mean, largest gap first.",
    ),
    "priorities_fallback": (
        "Không tiêu chí nào thấp hơn trung bình cả nước có ý nghĩa; dưới đây là các tiêu chí có"
        " chênh lệch so với trung bình cả nước thấp nhất (không khác biệt có ý nghĩa).",
        "No item is significantly below the national mean; these are the items with the lowest"
        " difference from the national mean (not significant).",
    ),
    "best_province": ("Tỉnh cao nhất", "Best province"),
    "best_in_region": ("Cao nhất trong vùng", "Best in the region"),
    "trend": ("Xu hướng qua các năm", "Trend over the years"),
    "year": ("Năm", "Year"),
    "diagnosis_none": (
        "Không có dữ liệu gốc để kiểm định điểm mạnh, điểm yếu của lượt ước lượng này.",
        "No microdata to test strengths and weaknesses for this run.",
    ),
    "chart_ranking": ("Xếp hạng với khoảng tin cậy 95%", "Ranking with 95% confidence intervals"),
    "chart_profile": ("Các yếu tố so với trung bình cả nước", "Elements against the national mean"),
    "chart_trend": ("Xu hướng SIPAS", "SIPAS trend"),
    "chart_map": ("Bản đồ ô SIPAS", "SIPAS tile map"),
    "units": ("Đơn vị", "Unit"),
}


def label(key: str, lang: str = "vi", **values: Any) -> str:
    vi, en = LABELS[key]
    return nfc((vi if lang == "vi" else en).format(**values))
