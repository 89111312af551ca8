"""What errors say on Vietnamese pages: every error code a web user can meet, in Vietnamese.

The api raises :class:`~sipas.errors.SipasError` in English (the CLI's and the JSON API's
language). A Vietnamese page shows the entry of the error's code here instead, keeping the
specifics of the English message (a leaf code, a value, a maximum): each ``form`` is a pattern
of the English message whose named groups fill the Vietnamese sentence. When no form matches
(a message worded in a way not known here), the page shows the Vietnamese sentence without
specifics followed by the English message, so nothing the user needs is lost. English pages show
the English message as it is. Problems found in survey forms (``ingest.*``) have their own
entries in :data:`PROBLEMS`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

Forms = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Said:
    """An error's Vietnamese text: ``generic`` (no specifics), ``forms`` (English pattern →
    Vietnamese with its groups), the hint likewise; ``numbers`` names groups written as
    Vietnamese numbers; ``constant`` marks messages that carry no specifics at all."""

    generic: str
    forms: Forms = ()
    hint: str | None = None
    hint_forms: Forms = ()
    numbers: tuple[str, ...] = ()
    constant: bool = False


# Specifics that are words of the product: stages, roles, and "unit"/"leaf" in a location.
STAGES = {
    "self": "tự đánh giá",
    "appraisal1": "thẩm định vòng 1",
    "explanation": "giải trình",
    "appraisal2": "thẩm định vòng 2",
    "final": "điểm đạt được (kết thúc)",
    "survey": "điều tra xã hội học",
}
ROLES = {
    "admin": "quản trị",
    "analyst": "phân tích",
    "officer": "cán bộ tỉnh",
    "appraiser": "thẩm định",
    "clerk": "nhập phiếu",
}
_PLACES = (
    (re.compile(r"\bunit "), "đơn vị "),
    (re.compile(r"\bleaf "), "tiêu chí "),
    (re.compile(r"\brow (\d+)"), r"dòng \1"),
    (re.compile(r"no self-assessment"), "chưa tự đánh giá"),
    (
        re.compile(r"no evidence file and no written explanation"),
        "chưa có tài liệu kiểm chứng hay giải trình",
    ),
)
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(.*)$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")

_WHO = r"(?P<user>.+?) \((?P<role>\w+)\)"
_WHERE = r"(?P<where>.+?)"
_ACCESS: Forms = (
    (rf"^{_WHO} may not use this page$", "{user} ({role}) không được dùng trang này"),
    (
        rf"^{_WHO} cannot write the (?P<stage>\w+) of (?P<where>.+): only an officer",
        "{user} ({role}) không được ghi phần {stage} của {where}: chỉ cán bộ của tỉnh có đơn vị"
        " này mới được ghi",
    ),
    (rf"^{_WHO} cannot appraise (?P<where>.+)$", "{user} ({role}) không được thẩm định {where}"),
    (
        rf"^{_WHO} cannot fill survey leaves$",
        "{user} ({role}) không được nhập các tiêu chí lấy từ điều tra xã hội học",
    ),
    (
        r"^(?P<user>.+) is not assigned to (?P<where>.+) in campaign (?P<campaign>\S+)$",
        "{user} chưa được phân công {where} trong đợt đánh giá {campaign}",
    ),
    (
        rf"^{_WHO} cannot read unit (?P<unit>\S+)'s scores$",
        "{user} ({role}) không được xem điểm của đơn vị {unit}",
    ),
    (rf"^{_WHO} cannot create campaigns$", "{user} ({role}) không được tạo đợt đánh giá"),
    (rf"^{_WHO} cannot assign work$", "{user} ({role}) không được phân công công việc"),
    (
        rf"^{_WHO} cannot move a campaign on$",
        "{user} ({role}) không được chuyển giai đoạn của đợt đánh giá",
    ),
    (rf"^{_WHO} cannot lock unit (?P<unit>\S+)$", "{user} ({role}) không được chốt đơn vị {unit}"),
)
_NUMBER_HINT: Forms = (
    (r"give a number from 0 to (?P<top>[\d.]+)", "Hãy nhập một số từ 0 đến {top}"),
)
_NOTHING_SAVED = "Không có gì được lưu."

ERRORS: dict[str, Said] = {
    # -- accounts and pages ----------------------------------------------------------------
    "auth.csrf": Said(
        "Mã bảo mật của biểu mẫu bị thiếu hoặc đã hết hạn",
        hint="Hãy tải lại trang rồi gửi lại biểu mẫu",
        constant=True,
    ),
    "auth.login_required": Said(
        "Cần đăng nhập để xem trang này", hint="Hãy dùng trang đăng nhập", constant=True
    ),
    "auth.forbidden": Said(
        "Bạn không có quyền làm việc này",
        _ACCESS,
        hint="Hãy đề nghị quản trị viên",
        hint_forms=(
            (
                r"ask the campaign's admin for an assignment",
                "Hãy đề nghị quản trị của đợt đánh giá phân công",
            ),
            (r"^ask an admin$", "Hãy đề nghị quản trị viên"),
        ),
    ),
    "auth.failed": Said("Sai tên đăng nhập hoặc mật khẩu", constant=True),
    "auth.throttled": Said(
        "Đăng nhập sai quá nhiều lần; tài khoản này phải chờ một lúc",
        hint="Hãy thử lại sau",
        hint_forms=((r"after (?P<time>\d\d:\d\d) UTC", "Hãy thử lại sau {time} (giờ UTC)"),),
        constant=True,
    ),
    "auth.bad_role": Said(
        "Vai trò không tồn tại",
        ((r"^unknown role '(?P<role>[^']*)'$", "Không có vai trò {role}"),),
        hint="Các vai trò: admin, analyst, officer, appraiser, clerk",
    ),
    "http.not_found": Said(
        "Không có trang này", hint="Hãy kiểm tra địa chỉ, hoặc về trang chủ", constant=True
    ),
    "http.method_not_allowed": Said(
        "Địa chỉ này không nhận yêu cầu kiểu này",
        ((r"^(?P<method>[A-Z]+) is not", "Địa chỉ này không nhận yêu cầu {method}"),),
    ),
    "http.bad_request": Said(
        "Yêu cầu thiếu hoặc sai thông tin",
        ((r"^missing or invalid: (?P<fields>.+)$", "Yêu cầu thiếu hoặc sai: {fields}"),),
        hint="Hãy quay lại trang trước và thử lại",
    ),
    "http.error": Said("Yêu cầu không thực hiện được"),
    "internal": Said(
        "Đã xảy ra lỗi ngoài dự kiến; lỗi đã được ghi lại",
        hint="Hãy thử lại sau ít phút",
        constant=True,
    ),
    # -- published results ---------------------------------------------------------------
    "public.no_results": Said(
        "Chưa công bố kết quả nào",
        ((r"^no (?P<what>SIPAS|PAR INDEX) results", "Chưa công bố kết quả {what} nào"),),
    ),
    "public.download_type": Said(
        "Không có tệp tải về dạng này",
        ((r"^no '(?P<kind>[^']*)' download$", "Không có tệp tải về dạng {kind}"),),
        hint="Hãy chọn csv, xlsx hoặc json",
    ),
    "public.report_type": Said(
        "Không có báo cáo dạng này",
        ((r"^no '(?P<kind>[^']*)' report$", "Không có báo cáo dạng {kind}"),),
        hint="Hãy chọn pdf, html hoặc xlsx",
    ),
    "public.unknown_run": Said(
        "Không có kết quả SIPAS đã công bố với tên này",
        (
            (
                r"^no published SIPAS results called '(?P<run>[^']*)'$",
                "Không có kết quả SIPAS đã công bố nào tên {run}",
            ),
        ),
        hint="Xem danh sách các năm trên trang SIPAS",
    ),
    "public.unknown_province": Said(
        "Không có tỉnh, thành phố này",
        (
            (
                r"^no province '(?P<code>[^']*)' on the (?P<geography>\d+)-province geography$",
                "Không có tỉnh, thành phố mã {code} trên địa giới {geography} tỉnh, thành phố",
            ),
        ),
        hint="Hãy chọn một tỉnh, thành phố trong bảng xếp hạng",
    ),
    # -- reports ---------------------------------------------------------------------------
    "report.several_runs": Said(
        "Có nhiều lần ước lượng đã lưu của cùng một năm",
        (
            (
                r"^(?P<count>\d+) saved runs of (?P<year>\d+) surveys: (?P<runs>.+)$",
                "Có {count} lần ước lượng đã lưu của điều tra năm {year}: {runs}",
            ),
        ),
        hint="Hãy chọn một lần ước lượng",
    ),
    "report.no_year": Said(
        "Hãy cho biết năm hoặc lần ước lượng đã lưu", hint="Xem danh sách kết quả", constant=True
    ),
    "report.no_run": Said(
        "Chưa có lần ước lượng nào đã lưu cho năm này",
        (
            (
                r"^no saved estimation run of a (?P<year>\d+) survey",
                "Chưa có lần ước lượng nào đã lưu của điều tra năm {year}",
            ),
        ),
        hint="Hãy ước lượng và lưu kết quả (sipas estimate --survey MÃ --save MÃ), hoặc chọn"
        " năm khác",
    ),
    "report.par_geography": Said(
        "Đợt đánh giá PAR và kết quả SIPAS không cùng địa giới: mã tỉnh không chỉ cùng một nơi",
        (
            (
                r"^PAR campaign (?P<campaign>\S+) is on the (?P<par>\d+) provinces and the SIPAS"
                r" results on the (?P<sipas>\d+)",
                "Đợt đánh giá PAR {campaign} trên địa giới {par} tỉnh, còn kết quả SIPAS trên"
                " {sipas} tỉnh: mã tỉnh không chỉ cùng một nơi",
            ),
        ),
        hint="Hãy chọn đợt đánh giá trên cùng địa giới",
    ),
    "report.bad_lang": Said(
        "Ngôn ngữ không được hỗ trợ",
        ((r"^unknown language '(?P<lang>[^']*)'$", "Không hỗ trợ ngôn ngữ {lang}"),),
        hint="Dùng vi hoặc en",
    ),
    "report.no_survey": Said(
        "Lần ước lượng này được tính từ một tệp, không phải một cuộc điều tra đã lưu: không rõ năm",
        (
            (
                r"^run (?P<run>\S+) was estimated from a file",
                "Lần ước lượng {run} được tính từ một tệp, không phải một cuộc điều tra đã lưu:"
                " không rõ năm",
            ),
        ),
        hint="Hãy nhập cuộc điều tra (sipas import) rồi ước lượng và lưu lại",
    ),
    "report.unknown_province": Said(
        "Không có tỉnh, thành phố này trong kết quả",
        (
            (
                r"^no province '(?P<code>[^']*)' in run (?P<run>\S+) \((?P<geography>\d+)"
                r" provinces\)$",
                "Không có tỉnh, thành phố mã {code} trong lần ước lượng {run} ({geography} tỉnh,"
                " thành phố)",
            ),
        ),
        hint="Hãy chọn một tỉnh, thành phố trong bảng xếp hạng",
        hint_forms=((r"^choose one of: (?P<known>.+)$", "Hãy chọn một trong: {known}"),),
    ),
    "report.bad_format": Said(
        "Không có báo cáo dạng này",
        ((r"^unknown report format '(?P<fmt>[^']*)'$", "Không có báo cáo dạng {fmt}"),),
        hint="Dùng pdf, html hoặc xlsx",
    ),
    # -- the service-quality index ------------------------------------------------------------
    "service_index.no_results": Said(
        "Chưa có kết quả Chỉ số phục vụ đã lưu cho kỳ này",
        (
            (
                r"results for (?P<period>\d{4}(?:-Q\d|-\d\d)?)\b",
                "Chưa có kết quả Chỉ số phục vụ đã lưu cho kỳ {period}",
            ),
        ),
        hint="Hãy chọn một kỳ đã có kết quả, hoặc tính kỳ này bằng lệnh sipas service-index"
        " compute",
        hint_forms=(
            (
                r"choose a stored period \((?P<have>[^)]*)\), or compute it with "
                r"`(?P<command>[^`]+)`",
                "Hãy chọn một kỳ đã có kết quả ({have}), hoặc tính kỳ này bằng lệnh {command}",
            ),
            (
                r"run `(?P<command>[^`]+)` first \(stored: (?P<have>[^)]*)\)",
                "Hãy tính kỳ này trước bằng lệnh {command} (đã có: {have})",
            ),
        ),
    ),
    "service_index.unknown_unit": Said(
        "Không có đơn vị này trong kết quả",
        (
            (
                r"^no agency or unit '(?P<unit>[^']*)' in the results of (?P<period>\S+)$",
                "Không có tỉnh, bộ hay đơn vị mã {unit} trong kết quả kỳ {period}",
            ),
            (
                r"^no results for unit (?P<unit>\S+) in (?P<period>\S+)$",
                "Không có kết quả của đơn vị {unit} trong kỳ {period}",
            ),
            (r"^no results for unit (?P<unit>\S+)$", "Không có kết quả của đơn vị {unit}"),
        ),
        hint="Hãy chọn một đơn vị trong bảng xếp hạng",
    ),
    "service_index.bad_period": Said(
        "Đây không phải là một kỳ đánh giá",
        ((r"^'(?P<text>[^']*)' is not a period$", "{text} không phải là một kỳ đánh giá"),),
        hint="Hãy viết tháng (2025-07), quý (2025-Q3) hoặc năm (2025)",
    ),
    "service_index.bad_grain": Said(
        "Không có loại kỳ này",
        ((r"grain '(?P<grain>[^']*)'$", "Không có loại kỳ {grain}"),),
        hint="Dùng month (tháng), quarter (quý) hoặc year (năm)",
    ),
    "service_index.no_data": Said(
        "Tập dữ liệu không có hồ sơ nào được tiếp nhận trong kỳ này",
        (
            (
                r"has no dossiers received in (?P<periods>.+)$",
                "Tập dữ liệu không có hồ sơ nào được tiếp nhận trong {periods}",
            ),
        ),
        hint="Hãy chọn kỳ có dữ liệu",
        hint_forms=((r"^months with data: (?P<months>.+)$", "Các tháng có dữ liệu: {months}"),),
    ),
    "service_index.unknown_engine": Said(
        "Không có công cụ tính này", hint="Dùng duckdb hoặc spark"
    ),
    "service_index.no_spark": Said(
        "Công cụ Spark cần gói pyspark",
        hint="Cài pyspark (và Java 17), hoặc dùng --engine duckdb",
        constant=True,
    ),
    "service_index.no_catalogue": Said(
        "Tập dữ liệu chưa có danh mục thủ tục hành chính (catalogue.parquet)",
        hint="Hãy tạo tập dữ liệu bằng sipas dossiers generate, hoặc thêm danh mục",
    ),
    "service_index.no_dossiers": Said(
        "Tập dữ liệu chưa có tệp hồ sơ nào",
        hint="Hãy tạo tập dữ liệu bằng sipas dossiers generate, hoặc nhập tệp hồ sơ",
    ),
    "service_index.bad_framework": Said(
        "Tệp bộ chỉ số có lỗi", hint="Hãy sửa tệp bộ chỉ số tại mục được nêu"
    ),
    "service_index.unknown_framework": Said(
        "Không có bộ chỉ số này", hint="Dùng service-766 hoặc đường dẫn tới một tệp YAML"
    ),
    # -- survey forms -----------------------------------------------------------------------------
    "survey.invitation_unknown": Said(
        "Đường dẫn mời này không hợp lệ",
        hint="Hãy kiểm tra đã sao chép đủ đường dẫn, hoặc xin nhóm điều tra một đường dẫn mới",
        constant=True,
    ),
    "survey.invitation_expired": Said(
        "Đường dẫn mời này đã hết hạn",
        ((r"expired on (?P<day>\d{4}-\d\d-\d\d)", "Đường dẫn mời này đã hết hạn ngày {day}"),),
        hint="Hãy xin nhóm điều tra một lời mời mới",
    ),
    "survey.invitation_used": Said(
        "Câu trả lời theo lời mời này đã được nhận",
        hint="Xin cảm ơn: không cần làm gì thêm",
        constant=True,
    ),
    "survey.unknown": Said(
        "Không có cuộc điều tra này",
        ((r"^no survey with code '(?P<code>[^']*)'", "Không có cuộc điều tra mã {code}"),),
        hint="Hãy chọn một cuộc điều tra trong danh sách",
        hint_forms=((r"^known surveys: (?P<known>.+)$", "Các cuộc điều tra: {known}"),),
    ),
    # -- the PAR workspace ------------------------------------------------------------------
    "par.campaign_unknown": Said(
        "Không có đợt đánh giá PAR này",
        ((r"^no PAR campaign with code '(?P<code>[^']*)'", "Không có đợt đánh giá PAR mã {code}"),),
        hint="Hãy chọn một đợt đánh giá trong danh sách",
    ),
    "par.campaign_final": Said(
        "Đợt đánh giá đã kết thúc",
        ((r"^campaign (?P<campaign>\S+) is final$", "Đợt đánh giá {campaign} đã kết thúc"),),
    ),
    "par.wrong_stage": Said(
        "Đợt đánh giá không ở giai đoạn này",
        (
            (
                r"^campaign (?P<campaign>\S+) is at stage '(?P<stage>\w+)', not '(?P<asked>\w+)'$",
                "Đợt đánh giá {campaign} đang ở giai đoạn {stage}, không phải {asked}",
            ),
        ),
        hint=f"{_NOTHING_SAVED} Hãy ghi điểm ở giai đoạn hiện tại của đợt đánh giá",
    ),
    "par.stage_order": Said(
        "Đợt đánh giá không chuyển được sang giai đoạn này",
        (
            (
                r"^campaign (?P<campaign>\S+) is at stage '(?P<stage>\w+)'; it cannot move to"
                r" '(?P<to>\w+)'$",
                "Đợt đánh giá {campaign} đang ở giai đoạn {stage}; không thể chuyển sang {to}",
            ),
        ),
        hint="Đợt đánh giá đã kết thúc",
        hint_forms=((r"next stage is '(?P<next>\w+)'", "Giai đoạn tiếp theo là {next}"),),
    ),
    "par.bad_stage": Said(
        "Không có giai đoạn này",
        (
            (r"^unknown stage '(?P<stage>[^']*)'$", "Không có giai đoạn {stage}"),
            (r"^unknown score stage '(?P<stage>[^']*)'$", "Không có giai đoạn chấm điểm {stage}"),
            (
                r"^results cannot be computed at stage '(?P<stage>[^']*)'$",
                "Không tính được kết quả ở giai đoạn {stage}",
            ),
        ),
        hint="Các giai đoạn: tự đánh giá, thẩm định vòng 1, giải trình, thẩm định vòng 2, kết thúc",
    ),
    "par.not_final": Said(
        "Đợt đánh giá chưa có điểm cuối cùng",
        (
            (
                r"^campaign (?P<campaign>\S+) is at stage '(?P<stage>\w+)'",
                "Đợt đánh giá {campaign} đang ở giai đoạn {stage}; chưa có điểm cuối cùng",
            ),
        ),
        hint="Hãy xem kết quả tạm thời, hoặc chuyển đợt đánh giá sang giai đoạn kết thúc",
    ),
    "par.locked": Said(
        "Bản tự đánh giá của đơn vị đã được chốt",
        (
            (
                r"^unit (?P<unit>\S+)'s self-assessment was locked by (?P<who>.+) at"
                r" (?P<at>\d{4}-\d\d-\d\d \d\d:\d\d)$",
                "Bản tự đánh giá của đơn vị {unit} đã được {who} chốt lúc {at}",
            ),
        ),
        hint=f"{_NOTHING_SAVED} Sau khi chốt, chỉ người thẩm định mới thay đổi điểm",
    ),
    "par.deadline_passed": Said(
        "Đã quá hạn tự đánh giá",
        (
            (
                r"^the self-assessment deadline of (?P<campaign>\S+) \((?P<deadline>[\d: -]+)"
                r" UTC\) has passed$",
                "Đã quá hạn tự đánh giá của đợt {campaign} ({deadline}, giờ UTC)",
            ),
        ),
        hint=f"{_NOTHING_SAVED} Hãy liên hệ quản trị của đợt đánh giá",
    ),
    "par.unknown_unit": Said(
        "Đơn vị không thuộc đợt đánh giá",
        (
            (
                r"^unit '(?P<unit>[^']*)' is not in campaign (?P<campaign>\S+)$",
                "Đơn vị {unit} không thuộc đợt đánh giá {campaign}",
            ),
        ),
        hint="Hãy chọn một đơn vị của đợt đánh giá",
    ),
    "par.unknown_node": Said(
        "Không có tiêu chí này",
        (
            (
                r"^'(?P<node>[^']*)' is not a leaf of framework (?P<framework>\S+)$",
                "{node} không phải là tiêu chí thành phần của bộ tiêu chí {framework}",
            ),
            (
                r"^'(?P<node>[^']*)' is not a node of framework (?P<framework>\S+)$",
                "Không có tiêu chí {node} trong bộ tiêu chí {framework}",
            ),
        ),
        hint="Điểm được nhập cho các tiêu chí thành phần, theo mã của chúng",
    ),
    "par.not_applicable_refused": Said(
        "Bộ tiêu chí không cho phép khai báo tiêu chí này là không áp dụng",
        (
            (
                rf"^{_WHERE}: the framework does not let this leaf be declared not applicable$",
                "{where}: bộ tiêu chí không cho phép khai báo tiêu chí này là không áp dụng",
            ),
        ),
        hint="Hãy chấm điểm tiêu chí",
    ),
    "par.points_disagree": Said(
        "Điểm nhập không khớp với giá trị",
        (
            (
                rf"^{_WHERE}: (?P<points>\S+) points given, but the value (?P<value>.+) earns"
                r" (?P<computed>\S+)$",
                "{where}: nhập {points} điểm, nhưng giá trị {value} chỉ được {computed} điểm",
            ),
        ),
        hint="Hãy nhập giá trị hoặc điểm, hoặc sửa cho khớp",
        numbers=("points", "computed"),
    ),
    "par.no_score": Said(
        "Chưa nhập điểm hay giá trị",
        ((rf"^{_WHERE}: give points or a value$", "{where}: hãy nhập điểm hoặc giá trị"),),
    ),
    "par.reason_required": Said(
        "Thẩm định thay đổi điểm: cần ghi lý do",
        (
            (
                rf"^{_WHERE}: the appraisal changes no score to (?P<new>\S+); a reason is"
                r" required$",
                "{where}: thẩm định cho {new} điểm khi chưa có điểm; cần ghi lý do",
            ),
            (
                rf"^{_WHERE}: the appraisal changes (?P<old>\S+) \((?P<stage>\w+)\) to"
                r" (?P<new>\S+); a reason is required$",
                "{where}: thẩm định đổi {old} điểm ({stage}) thành {new}; cần ghi lý do",
            ),
        ),
        hint=f"{_NOTHING_SAVED} Hãy ghi lý do thay đổi",
        numbers=("old", "new"),
    ),
    "par.not_survey_leaf": Said(
        "Đây không phải tiêu chí lấy từ điều tra xã hội học",
        (
            (
                rf"^{_WHERE}: is not a survey leaf$",
                "{where}: không phải tiêu chí lấy từ điều tra xã hội học",
            ),
        ),
    ),
    "par.survey_leaf": Said(
        "Tiêu chí lấy từ điều tra xã hội học không tự đánh giá",
        (
            (
                rf"^{_WHERE}: survey leaves are filled",
                "{where}: tiêu chí này lấy từ kết quả điều tra xã hội học, không tự đánh giá",
            ),
        ),
        hint="Cán bộ phân tích sẽ nhập từ kết quả điều tra",
    ),
    "par.duplicate_entry": Said(
        "Một tiêu chí được nhập hai lần",
        ((rf"^{_WHERE}: the same leaf is given twice$", "{where}: tiêu chí được nhập hai lần"),),
        hint="Hãy giữ một dòng",
    ),
    "par.no_note": Said(
        "Giải trình cần có nội dung",
        ((rf"^{_WHERE}: an explanation needs its text$", "{where}: giải trình cần có nội dung"),),
    ),
    "par.bad_value": Said(
        "Giá trị không hợp lệ",
        ((rf"^{_WHERE}: (?P<what>.+)$", "{where}: giá trị không hợp lệ ({what})"),),
        hint="Hãy nhập giá trị theo thang chấm của tiêu chí",
    ),
    "par.bad_points": Said(
        "Đây không phải là số điểm",
        (
            (
                rf"^{_WHERE}: '?(?P<points>.*?)'? is not a number of points$",
                "{where}: {points} không phải là số điểm",
            ),
        ),
        hint="Hãy nhập một số",
        hint_forms=_NUMBER_HINT,
        numbers=("top",),
    ),
    "par.negative_points": Said(
        "Điểm không được âm",
        (
            (
                rf"^{_WHERE}: (?P<points>\S+) points is negative$",
                "{where}: {points} điểm là số âm",
            ),
        ),
        hint="Hãy nhập một số không âm",
        hint_forms=_NUMBER_HINT,
        numbers=("points", "top"),
    ),
    "par.above_max": Said(
        "Điểm vượt quá điểm tối đa của tiêu chí",
        (
            (
                rf"^{_WHERE}: (?P<points>\S+) points is above the leaf's maximum of"
                r" (?P<max>\S+)$",
                "{where}: {points} điểm vượt quá điểm tối đa {max} của tiêu chí",
            ),
        ),
        hint="Hãy nhập một số không vượt quá điểm tối đa",
        hint_forms=_NUMBER_HINT,
        numbers=("points", "max", "top"),
    ),
    "par.points_not_in_rubric": Said(
        "Thang chấm của tiêu chí không có mức điểm này",
        (
            (
                rf"^{_WHERE}: (?P<points>\S+) points is not one the (?P<kind>\w+) rubric gives$",
                "{where}: thang chấm ({kind}) của tiêu chí không có mức {points} điểm",
            ),
        ),
        hint="Hãy chọn một mức điểm của thang chấm",
        hint_forms=((r"^possible points: (?P<allowed>.+)$", "Các mức điểm: {allowed}"),),
        numbers=("points",),
    ),
    "par.evidence_type": Said(
        "Loại tệp này không được nhận làm tài liệu kiểm chứng",
        (
            (
                r"^(?P<file>.+): (?P<suffix>\S+|no extension) files are not accepted as evidence$",
                "{file}: không nhận tệp {suffix} làm tài liệu kiểm chứng",
            ),
        ),
        hint="Nhận tệp PDF, Word, Excel hoặc ảnh",
        hint_forms=((r"^accepted: (?P<types>.+)$", "Các loại tệp được nhận: {types}"),),
    ),
    "par.evidence_empty": Said("Tệp rỗng", ((r"^(?P<file>.+) is empty$", "Tệp {file} rỗng"),)),
    "par.evidence_size": Said(
        "Tệp quá lớn",
        (
            (
                r"^(?P<file>.+) is (?P<size>[\d.]+) MB; the limit is (?P<limit>\d+) MB$",
                "Tệp {file} nặng {size} MB; giới hạn là {limit} MB",
            ),
        ),
        hint="Hãy tách hoặc nén tệp",
        numbers=("size",),
    ),
    "par.evidence_content": Said(
        "Nội dung tệp không đúng với loại tệp",
        (
            (
                r"^(?P<file>.+) does not contain what a (?P<suffix>\S+) file contains$",
                "Nội dung tệp {file} không phải là một tệp {suffix}",
            ),
        ),
        hint="Hãy tải lên chính tài liệu, lưu đúng định dạng của nó",
    ),
    "par.evidence_unknown": Said(
        "Không có tệp kiểm chứng này",
        (
            (
                r"^unit (?P<unit>\S+) has no evidence file (?P<id>\d+)$",
                "Đơn vị {unit} không có tệp kiểm chứng số {id}",
            ),
        ),
    ),
    "par.lock_incomplete": Said(
        "Chưa thể chốt: còn tiêu chí chưa hoàn thành",
        (
            (
                r"^unit (?P<unit>\S+) cannot be locked: (?P<count>\d+) leaves are incomplete"
                r" \((?P<leaves>.+)\)$",
                "Chưa thể chốt đơn vị {unit}: {count} tiêu chí chưa hoàn thành ({leaves})",
            ),
        ),
        hint="Hãy chấm điểm mọi tiêu chí tự đánh giá và đính kèm tài liệu kiểm chứng, hoặc giải"
        " trình trong ghi chú",
    ),
    "par.not_scorable": Said(
        "Bộ tiêu chí chưa chấm điểm được",
        hint="Hãy điền điểm tối đa còn thiếu trong bản bộ tiêu chí của mình",
    ),
    "par.geography_mismatch": Said(
        "Hai bên không cùng địa giới: mã tỉnh không chỉ cùng một nơi",
        hint="Chỉ so sánh hoặc lấy số liệu giữa các đợt trên cùng các đơn vị",
    ),
    "par.no_sipas_leaf": Said(
        "Bộ tiêu chí không có tiêu chí lấy từ SIPAS",
        hint="Hãy khai báo một tiêu chí có thang chấm sipas",
    ),
    "par.assignment_exists": Said("Phân công này đã có"),
    "par.bad_assignment": Said(
        "Không có vai trò phân công này", hint="Các vai trò: self_assessor, appraiser"
    ),
    "par.units_file": Said(
        "Tệp danh sách đơn vị có lỗi",
        hint="Các cột: unit_code, name, kind (department | commune | province), province_code",
    ),
    "par.csv_layout": Said("Tệp CSV thiếu cột", hint="Hãy dùng các cột của mẫu xuất ra"),
    "par.csv_value": Said(
        "Giá trị trong tệp CSV không hợp lệ",
        hint='Nhập câu trả lời điều tra dạng JSON, ví dụ {"citizens": {"A": 3, "B": 1}}',
    ),
    "par.file_missing": Said("Không tìm thấy tệp"),
    "par.file_empty": Said("Tệp không có điểm nào cho giai đoạn này"),
    "par.file_type": Said("Không đọc được loại tệp này", hint="Dùng tệp .xlsx hoặc .csv"),
    "par.sheet_layout": Said(
        "Bảng tính không theo mẫu", hint="Hãy dùng mẫu xuất ra bởi sipas par scores export"
    ),
    "par.sheet_unreadable": Said(
        "Không đọc được bảng tính .xlsx", hint="Hãy lưu lại từ Excel dưới dạng .xlsx rồi thử lại"
    ),
}

# Problems the form validator finds in a respondent's answers or a clerk's paper form: the full
# sentence with its specifics (the clerk's page shows it beside the short label).
_CODE = r"^(?P<field>\S+) = '(?P<value>.*)'"
PROBLEMS: dict[str, Said] = {
    "ingest.bad_code": Said(
        "Mã trả lời không có trong danh sách",
        (
            (
                rf"{_CODE} is not one of the answer codes (?P<codes>.+)$",
                "{field} = {value} không phải là một trong các mã trả lời {codes}",
            ),
            (
                rf"{_CODE} holds a code that is not one of (?P<codes>.+)$",
                "{field} = {value} có mã không thuộc các mã {codes}",
            ),
        ),
    ),
    "ingest.required": Said(
        "Chưa trả lời câu bắt buộc",
        (
            (r"^the interview date is blank$", "Chưa có ngày phỏng vấn"),
            (r"^the province is blank$", "Chưa có tỉnh, thành phố"),
            (r"^(?P<field>\S+) is required and blank$", "{field} là câu bắt buộc, chưa trả lời"),
        ),
    ),
    "ingest.bad_date": Said(
        "Ngày không hợp lệ",
        ((r"^'(?P<value>.*)' is not a date$", "{value} không phải là một ngày"),),
    ),
    "ingest.future_date": Said(
        "Ngày ở tương lai",
        (
            (
                r"^interview date (?P<day>[\d-]+) is in the future$",
                "Ngày phỏng vấn {day} ở tương lai",
            ),
        ),
    ),
    "ingest.outside_period": Said(
        "Ngày phỏng vấn nằm ngoài thời gian điều tra",
        (
            (
                r"^interview date (?P<day>[\d-]+) is outside the fieldwork period"
                r" (?P<start>[\d-]+)–(?P<end>[\d-]+)$",
                "Ngày phỏng vấn {day} nằm ngoài thời gian điều tra {start}–{end}",
            ),
        ),
    ),
    "ingest.bad_number": Said(
        "Phải là số nguyên",
        ((rf"{_CODE} is not a whole number$", "{field} = {value} không phải là số nguyên"),),
    ),
    "ingest.out_of_range": Said(
        "Số nằm ngoài khoảng cho phép",
        (
            (
                r"^(?P<field>\S+) = (?P<value>\S+) is outside (?P<low>\S+)–(?P<high>\S+)$",
                "{field} = {value} nằm ngoài khoảng {low}–{high}",
            ),
        ),
    ),
    "ingest.too_long": Said(
        "Nội dung quá dài",
        (
            (
                r"^(?P<field>\S+) has (?P<length>[\d,]+) characters \(at most (?P<limit>[\d,]+)\)$",
                "{field} có {length} ký tự (tối đa {limit})",
            ),
            (
                r"^(?P<field>\S+(?: key)?) '(?P<value>.*)' is longer than (?P<limit>\d+) characters$",
                "{field} {value} dài quá {limit} ký tự",
            ),
        ),
    ),
    "ingest.geo_unknown": Said(
        "Không có tỉnh, thành phố này",
        (
            (
                r"^'(?P<value>.*)' is not a province code or name$",
                "{value} không phải là mã hay tên tỉnh, thành phố",
            ),
        ),
    ),
    "ingest.geo_not_valid_on_date": Said(
        "Tỉnh, thành phố không còn hiệu lực vào ngày phỏng vấn",
        (
            (
                r"^province '(?P<value>[^']*)' is not valid on the interview date (?P<day>[\d-]+)"
                r" \((?P<why>.*)\)$",
                "Tỉnh, thành phố {value} không có hiệu lực vào ngày phỏng vấn {day} ({why})",
            ),
        ),
    ),
    "ingest.bad_weight": Said(
        "Quyền số phải là số dương",
        (
            (
                r"^weight '(?P<value>.*)' is not a positive number$",
                "Quyền số {value} không phải là số dương",
            ),
        ),
    ),
    "ingest.not_applicable": Said(
        "Câu này không áp dụng",
        (
            (
                r"^a district is given for an interview on or after 2025-07-01",
                "Có ghi quận, huyện cho một cuộc phỏng vấn từ 01/07/2025, khi không còn cấp huyện",
            ),
        ),
    ),
    "ingest.conflict": Said(
        "Số phiếu đã có với câu trả lời khác",
        (
            (
                r"^respondent '(?P<key>[^']*)' is already stored in this survey with different"
                r" answers$",
                "Phiếu {key} đã được lưu trong cuộc điều tra này với câu trả lời khác",
            ),
        ),
    ),
    "ingest.duplicate_id": Said(
        "Số phiếu đã dùng cho phiếu khác",
        (
            (
                r"^respondent key '(?P<key>[^']*)' was already used in row (?P<row>\d+)$",
                "Số phiếu {key} đã dùng ở dòng {row}",
            ),
        ),
    ),
    "ingest.duplicate_respondent": Said(
        "Mọi câu trả lời trùng với một phiếu khác",
        (
            (
                r"^every answer is the same as in row (?P<row>\d+)",
                "Mọi câu trả lời trùng với dòng {row} (một phiếu nhập hai lần?)",
            ),
        ),
    ),
    "ingest.missing_column": Said("Thiếu cột cho câu bắt buộc này", constant=True),
}


def _local(name: str, value: str, numbers: tuple[str, ...]) -> str:
    """A specific as a Vietnamese page writes it."""
    if name in ("stage", "asked", "to", "next"):
        return STAGES.get(value, value)
    if name == "role":
        return ROLES.get(value, value)
    if name in ("where", "leaves", "what"):
        for pattern, replacement in _PLACES:
            value = pattern.sub(replacement, value)
        return value
    date = _DATE.match(value)
    if date and name in ("day", "at", "deadline", "start", "end"):
        year, month, day, rest = date.groups()
        return f"{day}/{month}/{year}{rest}"
    if name in numbers and _NUMBER.match(value):
        whole, _, decimals = value.partition(".")
        return whole + ("," + decimals if decimals else "")
    return value


def _fill(
    forms: Forms, english: str, given: Mapping[str, Any], numbers: tuple[str, ...]
) -> str | None:
    for pattern, vietnamese in forms:
        found = re.search(pattern, english)
        if found is None:
            continue
        values = {k: str(v) for k, v in given.items()} | {
            k: v for k, v in found.groupdict().items() if v is not None
        }
        try:
            return vietnamese.format(**{k: _local(k, v, numbers) for k, v in values.items()})
        except (KeyError, IndexError):
            continue
    return None


def _say(
    said: Said, message: str, hint: str | None, details: Mapping[str, Any]
) -> tuple[str, str | None]:
    text = _fill(said.forms, message, details, said.numbers)
    if text is None:
        text = said.generic if said.constant else f"{said.generic} ({message})"
    told = _fill(said.hint_forms, hint, details, said.numbers) if hint else None
    if told is None and hint:
        told = said.hint or hint
    return text, told


def localise(
    code: str, message: str, hint: str | None, details: Mapping[str, Any], lang: str
) -> tuple[str, str | None]:
    """The message and hint of error ``code`` as a page in ``lang`` shows them."""
    said = ERRORS.get(code)
    if lang == "en" or said is None:
        return message, hint
    return _say(said, message, hint, details)


def problem_text(problem: Mapping[str, Any], lang: str) -> str:
    """The full sentence of a form problem (``code``, ``message``) in ``lang``."""
    message = str(problem.get("message") or "")
    said = PROBLEMS.get(str(problem.get("code")))
    if lang == "en" or said is None:
        return message
    return _say(said, message, None, {})[0]
