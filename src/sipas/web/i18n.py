"""Every word the web app shows, in Vietnamese (first) and English: one catalogue."""

from __future__ import annotations

LANGS = ("vi", "en")

CATALOGUE: dict[str, tuple[str, str]] = {
    "site": ("Đo lường sự hài lòng và cải cách hành chính", "Measuring satisfaction and reform"),
    "home": ("Trang chủ", "Home"),
    "sipas": ("Chỉ số hài lòng SIPAS", "SIPAS satisfaction index"),
    "par": ("Chỉ số cải cách hành chính PAR INDEX", "PAR INDEX"),
    "workspace": ("Tự đánh giá và thẩm định", "Self-assessment and appraisal"),
    "login": ("Đăng nhập", "Log in"),
    "logout": ("Đăng xuất", "Log out"),
    "user": ("Tên đăng nhập", "User name"),
    "password": ("Mật khẩu", "Password"),
    "synthetic": (
        "DỮ LIỆU GIẢ LẬP — không phải kết quả chính thức",
        "SYNTHETIC DATA — not official results",
    ),
    "derived": ("tính lại trên 34 tỉnh từ dữ liệu gốc", "re-aggregated to the 34 provinces"),
    "year": ("Năm", "Year"),
    "region": ("Vùng", "Region"),
    "all_regions": ("Tất cả các vùng", "All regions"),
    "geography": ("Địa giới", "Geography"),
    "provinces_63": ("63 tỉnh, thành phố", "63 provinces"),
    "provinces_34": ("34 tỉnh, thành phố", "34 provinces"),
    "rank": ("Xếp hạng", "Rank"),
    "rank_interval": ("Khoảng xếp hạng 95%", "95% rank interval"),
    "province": ("Tỉnh, thành phố", "Province"),
    "estimate": ("Chỉ số", "Index"),
    "ci": ("Khoảng tin cậy 95%", "95% confidence interval"),
    "change": ("Thay đổi so với năm trước", "Change on the previous year"),
    "significant": ("có ý nghĩa thống kê", "statistically significant"),
    "national_mean": ("Trung bình cả nước", "National mean"),
    "best": ("Tỉnh cao nhất", "Best province"),
    "group": ("Nhóm", "Group"),
    "unstable": ("ước lượng chưa ổn định", "unstable estimate"),
    "download": ("Tải về", "Download"),
    "show": ("Xem", "Show"),
    "element": ("Yếu tố", "Element"),
    "strength": ("Điểm mạnh", "Strength"),
    "weakness": ("Điểm yếu", "Weakness"),
    "not different": ("Không khác biệt", "Not different"),
    "trend": ("Xu hướng qua các năm", "Trend over the years"),
    "compare": ("So sánh hai tỉnh", "Compare two provinces"),
    "chart_alt": (
        "Biểu đồ xếp hạng: mỗi tỉnh là một chấm với khoảng tin cậy 95%",
        "Ranking chart: each province a dot with its 95% confidence interval",
    ),
    "campaigns": ("Các đợt đánh giá", "Campaigns"),
    "stage": ("Giai đoạn", "Stage"),
    "units": ("Đơn vị", "Units"),
    "leaf": ("Tiêu chí thành phần", "Sub-criterion"),
    "max_points": ("Điểm tối đa", "Max points"),
    "self": ("Tự đánh giá", "Self-assessment"),
    "appraisal1": ("Thẩm định vòng 1", "Appraisal, round 1"),
    "explanation": ("Giải trình", "Explanation"),
    "appraisal2": ("Thẩm định vòng 2", "Appraisal, round 2"),
    "final": ("Điểm đạt được", "Final points"),
    "survey": ("Điều tra xã hội học", "Survey"),
    "reason": ("Lý do", "Reason"),
    "note": ("Ghi chú / giải trình", "Note / explanation"),
    "save": ("Lưu", "Save"),
    "evidence": ("Tài liệu kiểm chứng", "Evidence"),
    "upload": ("Tải lên", "Upload"),
    "history": ("Lịch sử thay đổi", "History of changes"),
    "lock": ("Chốt tự đánh giá", "Lock the self-assessment"),
    "points": ("Điểm", "Points"),
    "index": ("Chỉ số", "Index"),
    "error": ("Có lỗi", "Something is wrong"),
    "forbidden": ("Bạn không có quyền xem trang này", "You may not see this page"),
    "not_found": ("Không tìm thấy", "Not found"),
    "language": ("English", "Tiếng Việt"),
    "no_data": ("Chưa có kết quả", "No results yet"),
    "api_docs": ("Tài liệu API", "API documentation"),
    "saved": ("Đã lưu", "Saved"),
}


def translate(key: str, lang: str) -> str:
    pair = CATALOGUE.get(key)
    if pair is None:
        return key
    return pair[1] if lang == "en" else pair[0]
