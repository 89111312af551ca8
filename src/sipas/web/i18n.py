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
    "strength_rule": (
        "điểm mạnh/điểm yếu: khác trung bình cả nước ở mức ý nghĩa 5% (sai số chuẩn của chênh "
        "lệch tính từ sai số chuẩn của cả hai)",
        "strength/weakness: differs from the national mean at 5% (SE of the difference from "
        "both standard errors)",
    ),
    "trend": ("Xu hướng qua các năm", "Trend over the years"),
    "compare": ("So sánh hai tỉnh", "Compare two provinces"),
    "chart_alt": (
        "Biểu đồ xếp hạng: mỗi tỉnh là một chấm với khoảng tin cậy 95%",
        "Ranking chart: each province a dot with its 95% confidence interval",
    ),
    "tile_map": ("Bản đồ các tỉnh, thành phố", "Map of the provinces"),
    "map_alt": (
        "Bản đồ ô: mỗi tỉnh, thành phố là một ô đặt theo vị trí tương đối, tô màu theo chỉ số",
        "Tile map: each province a square placed roughly where it lies, coloured by the index",
    ),
    "map_note": (
        "Lưới ô vẽ tay, không phải bản đồ chính thức; giá trị từng tỉnh có trong bảng trên.",
        "A hand-made grid, not an official map; every province's value is in the table above.",
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
    "evidence_delete": ("Xoá tệp", "Delete the file"),
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
    "report": ("Báo cáo", "Report"),
    # The service-quality index (QĐ 766).
    "service_index": ("Chỉ số phục vụ (QĐ 766)", "Service-quality index (QĐ 766)"),
    "period": ("Kỳ đánh giá", "Period"),
    "grain_year": ("Năm", "Year"),
    "grain_quarter": ("Quý", "Quarter"),
    "grain_month": ("Tháng", "Month"),
    "agency": ("Tỉnh, thành phố / bộ, ngành", "Province or ministry"),
    "total_points": ("Tổng điểm (/100)", "Total points (of 100)"),
    "points_of_100": ("Tổng điểm (/100)", "Total points (of 100)"),
    "change_period": ("Thay đổi so với kỳ trước", "Change on the previous period"),
    "previous_period": ("Kỳ trước", "Previous period"),
    "dossiers": ("Số hồ sơ", "Dossiers"),
    "excluded_rows": (
        "dòng dữ liệu hồ sơ bị loại vì không hợp lệ",
        "rows of dossier data excluded as invalid",
    ),
    "computed": ("Tính lúc", "Computed at"),
    "group_points": ("Điểm theo nhóm", "Points by group"),
    "chart_ranking_si": (
        "Biểu đồ xếp hạng: tổng điểm của mỗi tỉnh, thành phố",
        "Ranking chart: each agency's total points",
    ),
    "no_service_index": (
        "Chưa có kết quả Chỉ số phục vụ. Tính kết quả bằng các lệnh:",
        "No service-index results yet. Compute them with:",
    ),
    "dataset_setting": (
        "DATASET là thư mục dữ liệu hồ sơ (thiết lập service_index_data; mặc định là thư mục"
        " dossiers trong data_dir, nơi lệnh sipas demo tạo dữ liệu giả lập).",
        "DATASET is the dossier dataset folder (the service_index_data setting; by default the"
        " folder dossiers in data_dir, where sipas demo writes synthetic dossiers).",
    ),
    "agency_of": ("Thuộc", "Part of"),
    "rank_within": ("Xếp hạng trong tỉnh, bộ", "Rank within the agency"),
    "indicators": ("Các chỉ tiêu", "Indicators"),
    "indicator": ("Chỉ tiêu", "Indicator"),
    "numerator": ("Tử số", "Numerator"),
    "denominator": ("Mẫu số", "Denominator"),
    "ratio": ("Tỷ lệ", "Ratio"),
    "points_max": ("Điểm / tối đa", "Points / maximum"),
    "not_scored": ("không tính điểm", "not scored"),
    "mean_days": ("ngày", "days"),
    "subunits": ("Các đơn vị trực thuộc", "Units"),
    "unit_code": ("Mã đơn vị", "Unit code"),
    "months_trend": ("Diễn biến theo tháng", "Month by month"),
    "by_procedure": ("Chi tiết theo thủ tục hành chính", "By administrative procedure"),
    "procedure": ("Mã thủ tục", "Procedure code"),
    "show_all": ("Xem tất cả", "Show all"),
    "procedure_detail_off": (
        "Kỳ này được tính không kèm chi tiết các chỉ tiêu về hồ sơ theo từng thủ tục (chỉ có"
        " các chỉ tiêu về thủ tục và số hồ sơ). Để có đủ, tính lại với:",
        "This period was computed without the dossier indicators by procedure (only the"
        " procedure indicators and dossier counts). For all of them, compute it again with:",
    ),
    # Survey forms: respondents and clerks.
    "required": ("bắt buộc", "required"),
    "form_problems": ("Phiếu còn lỗi cần sửa", "The form has problems to correct"),
    "survey_intro": (
        "Xin Ông/Bà trả lời các câu hỏi dưới đây. Có thể lưu lại để làm tiếp sau.",
        "Please answer the questions below. You can save and finish later.",
    ),
    "satisfaction_intro": (
        "Mức độ hài lòng của Ông/Bà về từng nội dung: từ 1 (rất không hài lòng) đến 5 (rất hài lòng).",
        "How satisfied are you with each of these: from 1 (very dissatisfied) to 5 (very satisfied).",
    ),
    "survey_thanks": (
        "Cảm ơn Ông/Bà! Câu trả lời đã được ghi nhận.",
        "Thank you! Your answers have been received.",
    ),
    "draft_saved": (
        "Đã lưu câu trả lời. Ông/Bà có thể mở lại đường dẫn này để làm tiếp.",
        "Your answers are saved. Open this link again to continue.",
    ),
    "save_draft": ("Lưu để làm tiếp", "Save and continue later"),
    "send_answers": ("Gửi câu trả lời", "Send my answers"),
    "expires": ("Đường dẫn có hiệu lực đến", "This link is valid until"),
    "data_entry": ("Nhập phiếu giấy", "Paper form entry"),
    "surveys": ("Các cuộc điều tra", "Surveys"),
    "framework": ("Bộ công cụ", "Framework"),
    "respondents": ("Số phiếu", "Respondents"),
    "clerk_help": (
        "Gõ mã số trả lời; Tab để sang ô tiếp theo, Enter để lưu phiếu.",
        "Type the answer codes; Tab moves to the next field, Enter saves the form.",
    ),
    "paper_form": ("Thông tin phiếu", "Form details"),
    "form_number": ("Số phiếu", "Form number"),
    "interview_date": ("Ngày phỏng vấn (ngày/tháng/năm)", "Interview date (dd/mm/yyyy)"),
    "stratum": ("Tầng mẫu", "Stratum"),
    "psu": ("Đơn vị mẫu cấp 1", "Primary sampling unit"),
    "weight": ("Quyền số", "Weight"),
    "save_form": ("Lưu phiếu", "Save the form"),
    "form_stored": ("Đã lưu phiếu", "Form saved"),
    "form_unchanged": (
        "Phiếu này đã có, không thay đổi",
        "This form was already stored, unchanged",
    ),
    "form_quarantined": (
        "Phiếu chưa hợp lệ: đã giữ lại trong danh sách cách ly kèm lý do; sửa các ô có lỗi rồi lưu lại",
        "The form is not valid: it is kept in quarantine with its reasons; correct the fields"
        " marked and save again",
    ),
    "error_code": ("Mã lỗi", "Error code"),
}


def translate(key: str, lang: str) -> str:
    """A word of the web app; words of the shared text catalogue (``sipas.messages``) too."""
    pair = CATALOGUE.get(key)
    if pair is None:
        from sipas.messages import text

        return text(key, lang)
    return pair[1] if lang == "en" else pair[0]
