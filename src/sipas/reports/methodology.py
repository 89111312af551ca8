"""The methodology annex: every rule and assumption behind the numbers, stated from the rules the
estimation actually used (the framework's rules and the run's options), in the report's language.
"""

from __future__ import annotations

from typing import Any

from sipas.reports.format import label

_ITEM = {
    "top2_box": (
        "Tỷ lệ hài lòng của một tiêu chí = phần trăm câu trả lời hợp lệ có mã {codes} (top-2-box).",
        "An item's value is the percentage of valid answers coded {codes} (top-2-box).",
    ),
    "rescaled_mean": (
        "Giá trị của một tiêu chí = (điểm trung bình − điểm thấp nhất) / (điểm cao nhất −"
        " điểm thấp nhất) × 100.",
        "An item's value is (mean − lowest) / (highest − lowest) × 100 of the answers.",
    ),
}
_BLANKS = {
    "exclude": (
        "Câu bỏ trống không tính vào mẫu số của tiêu chí.",
        "Blank answers are left out of the item's denominator.",
    ),
    "as_not_satisfied": (
        "Câu bỏ trống được tính vào mẫu số, như không hài lòng.",
        "Blank answers count in the denominator, as not satisfied.",
    ),
}
_NATIONAL = {
    "mean_of_provinces": (
        "Chỉ số cả nước = trung bình cộng không trọng số của các giá trị cấp tỉnh (“giá trị"
        " trung bình”); ước lượng gộp từ toàn bộ người trả lời được trình bày riêng.",
        "The national value is the unweighted mean of the provincial values (the ministry's"
        " “average value”); the pooled estimate from all respondents is shown separately.",
    ),
    "pooled": (
        "Chỉ số cả nước = ước lượng gộp từ toàn bộ người trả lời, có trọng số.",
        "The national value is one weighted estimate from all respondents (pooled).",
    ),
}
_FIXED = {
    "A3": (
        "Mỗi yếu tố (dịch vụ) hoặc nhóm (chính sách) = trung bình cộng không trọng số của"
        " các tiêu chí.",
        "Each element (service) or group (policy) is the unweighted mean of its items.",
    ),
    "A4": (
        "Mỗi chỉ số thành phần = trung bình cộng không trọng số của các yếu tố hoặc nhóm;"
        " SIPAS cấp tỉnh = trung bình cộng của hai chỉ số thành phần.",
        "Each sub-index is the unweighted mean of its elements or groups; a province's SIPAS"
        " is the mean of its two sub-indices.",
    ),
    "WEIGHTS": (
        "Trọng số: mỗi người trả lời mang trọng số thiết kế của khảo sát (cột “{weight}”: nghịch"
        " đảo xác suất chọn qua các giai đoạn, sau các điều chỉnh nếu có); tầng “{strata}”, đơn"
        " vị mẫu bậc 1 “{psu}”.",
        "Weights: each respondent carries the survey's design weight (column “{weight}”: the"
        " inverse of the selection probabilities of every stage, after any adjustment); strata"
        " “{strata}”, primary sampling units “{psu}”.",
    ),
    "SE": (
        "Sai số: tỷ lệ theo tiêu chí dùng sai số chuẩn tuyến tính hóa Taylor theo thiết kế mẫu;"
        " yếu tố, chỉ số thành phần và SIPAS dùng trọng số lặp {method} ({replicates} lần lặp,"
        " hạt giống {seed}). Khoảng tin cậy 95% = ước lượng ± 1,96 × sai số chuẩn.",
        "Errors: item shares carry Taylor-linearised standard errors for the sample design;"
        " elements, sub-indices and SIPAS carry {method} replicate standard errors ({replicates}"
        " replicates, seed {seed}). 95% CI = estimate ± 1.96 × SE.",
    ),
    "RANK": (
        "Xếp hạng giảm dần theo giá trị chưa làm tròn; khoảng hạng 95% tính từ các lần lặp. Các"
        " tỉnh có khoảng hạng chồng lên nhau không được coi là khác nhau.",
        "Ranks are descending on the unrounded value; 95% rank intervals come from the"
        " replicates. Provinces whose intervals overlap are not called different.",
    ),
    "GROUP": (
        "Phân nhóm và điểm mạnh, điểm yếu: cao hơn (thấp hơn) trung bình cả nước có ý nghĩa khi"
        " chênh lệch vượt 1,96 lần sai số chuẩn của chênh lệch (tính từ các lần lặp).",
        "Groups, strengths and weaknesses: significantly above (below) the national mean when the"
        " difference exceeds 1.96 replicate standard errors of the difference.",
    ),
    "REGION": (
        "Trung bình vùng = trung bình cộng không trọng số các giá trị cấp tỉnh trong vùng (như"
        " A5), không kèm sai số chuẩn.",
        "A regional average is the unweighted mean of the region's provincial values (as A5),"
        " shown without a standard error.",
    ),
    "CHANGE": (
        "Thay đổi so với năm trước: hiệu của hai mẫu độc lập, sai số chuẩn = √(SE₁² + SE₂²),"
        " kiểm định z mức 5%. Năm trên 63 tỉnh được tính lại trên 34 tỉnh từ dữ liệu gốc trước"
        " khi so sánh với năm trên 34 tỉnh (số liệu suy ra).",
        "Change on the previous year: difference of two independent samples, SE = √(SE₁² +"
        " SE₂²), z-test at 5%. A year on the 63 provinces is re-aggregated from its microdata"
        " to the 34 before it is compared with a year on the 34 (derived).",
    ),
    "ROUND": (
        "Số liệu hiển thị 2 chữ số thập phân; mọi phép tính dùng độ chính xác đầy đủ.",
        "Figures are shown to 2 decimals; every computation uses full precision.",
    ),
}


def statements(
    lang: str, rules: dict[str, Any], options: dict[str, Any], assumptions: dict[str, str]
) -> list[dict[str, str]]:
    """(id, text) of every rule: ``rules`` as the framework declares them, ``options`` as the
    run was estimated, ``assumptions`` the framework's own notes (quoted as they are written)."""
    pick = 0 if lang == "vi" else 1
    codes = " " + ("hoặc" if lang == "vi" else "or") + " "
    values = {
        "codes": codes.join(str(c) for c in rules.get("top_box_codes", [4, 5])),
        "weight": options.get("weight", "weight"),
        "strata": options.get("strata") or "–",
        "psu": options.get("psu") or "–",
        "method": options.get("method", "bootstrap"),
        "replicates": options.get("replicates", ""),
        "seed": options.get("seed", ""),
    }
    chosen = [
        ("A1", _ITEM.get(str(rules.get("item_rule")), _ITEM["top2_box"])),
        ("A2", _BLANKS.get(str(rules.get("blanks")), _BLANKS["exclude"])),
        ("A3", _FIXED["A3"]),
        ("A4", _FIXED["A4"]),
        ("A5", _NATIONAL.get(str(rules.get("national")), _NATIONAL["mean_of_provinces"])),
        *((key, _FIXED[key]) for key in ("WEIGHTS", "SE", "RANK", "GROUP", "REGION", "CHANGE")),
        ("UNSTABLE", (label("unstable_note", "vi"), label("unstable_note", "en"))),
        ("ROUND", _FIXED["ROUND"]),
    ]
    found = [{"id": key, "text": pair[pick].format(**values)} for key, pair in chosen]
    note = "Ghi chú của bộ chỉ số (nguyên văn)" if lang == "vi" else "Framework note"
    found += [
        {"id": f"{key}*", "text": f"{note}: {text}"} for key, text in sorted(assumptions.items())
    ]
    return found
