"""Write the SYNTHETIC PAR INDEX 2024 table in the ministry's annex layout (CSV and XLSX).

Synthetic: invented figures for tests, not the ministry's results. 63 provinces, all above 80%,
13 in group A (≥ 90) and 50 in group B, two ties (ranks 9 and 52 shared), areas that add up to
the index exactly, and a last row with the mean of the 63 (88.37, by construction).

    PYTHONPATH=src python tests/data/published/make_synthetic.py
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from openpyxl import Workbook

from sipas.geo import provinces_on

HERE = Path(__file__).resolve().parent
AREAS = [  # synthetic maxima adding up to 100
    ("Công tác chỉ đạo, điều hành CCHC", 9.0),
    ("Cải cách thể chế", 11.0),
    ("Cải cách TTHC", 13.0),
    ("Cải cách tổ chức bộ máy", 10.5),
    ("Cải cách chế độ công vụ", 15.0),
    ("Cải cách tài chính công", 8.0),
    ("Xây dựng chính quyền điện tử, chính quyền số", 17.0),
    ("Tác động của CCHC", 16.5),
]


def totals() -> list[int]:
    """63 totals in hundredths, highest first: 13 at or above 90, 50 in 80–<90, mean 88.37."""
    group_a = [9617, 9335, 9257, 9240, 9147, 9120, 9100, 9069, 9050, 9050, 9030, 9002, 9000]
    group_b = [8990 - round(9.5 * i) for i in range(50)]  # 89.90 down to 85.24
    group_b[39] = group_b[38]  # a tie at rank 13 + 39 = 52
    values = group_a + group_b
    # Move the last value so that the mean is exactly 88.37 (and it stays in group B).
    values[-1] += 8837 * 63 - sum(values)
    assert sum(values) == 8837 * 63 and 8000 <= values[-1] < 9000, values[-1]
    return values


def rows() -> list[list[object]]:
    provinces = sorted(provinces_on(date(2024, 12, 31)), key=lambda p: p.code)
    values = totals()
    order = sorted(range(63), key=lambda i: (i * 17) % 63)  # provinces in a scrambled order
    lines: list[list[object]] = []
    for stt, p in enumerate(provinces, start=1):
        hundredths = values[order[stt - 1]]
        rank = 1 + sum(1 for v in values if v > hundredths)
        points, left = [], hundredths
        for _name, maximum in AREAS[:-1]:
            share = round(maximum * hundredths / 100)  # hundredths of a point
            points.append(share)
            left -= share
        points.append(left)
        lines.append(
            [
                stt,
                p.name,
                *(f"{x / 100:.2f}".replace(".", ",") for x in points),
                f"{hundredths / 100:.2f}".replace(".", ","),
                rank,
            ]
        )
    return lines


def main() -> None:
    title = [
        ["BẢNG SỐ LIỆU GIẢ LẬP (SYNTHETIC) — không phải kết quả công bố, chỉ dùng để kiểm thử"],
        ["CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM 2024 CỦA CÁC TỈNH, THÀNH PHỐ TRỰC THUỘC TRUNG ƯƠNG"],
        [],
    ]
    header = ["STT", "Tỉnh/thành phố", *(a for a, _ in AREAS), "Chỉ số PAR INDEX 2024", "Xếp hạng"]
    body = rows()
    mean = ["", "Giá trị trung bình", *([""] * len(AREAS)), "88,37", ""]
    with (HERE / "par_2024_annex_synthetic.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerows([*title, header, *body, mean])
    book = Workbook()
    sheet = book.active
    sheet.title = "Phụ lục 1"
    for line in [*title, header]:
        sheet.append(line)
    for line in body:  # numbers as numbers in the workbook
        sheet.append(
            [line[0], line[1], *(float(str(x).replace(",", ".")) for x in line[2:-1]), line[-1]]
        )
    sheet.append(["", "Giá trị trung bình", *([None] * len(AREAS)), 88.37, None])
    book.save(HERE / "par_2024_annex_synthetic.xlsx")


if __name__ == "__main__":
    main()
