"""A small PAR framework with every rubric kind, bonus and penalty nodes, shared by the PAR tests."""

EVERY_RUBRIC = """
id: every-rubric
kind: par
version: "1"
title: {vi: "Ví dụ", en: "Example"}
total_points: 20
not_applicable: exclude
groups:
  - {code: A, min_index: 90}
  - {code: B, min_index: 80}
  - {code: C, min_index: 70}
nodes:
  - code: "1"
    name: {vi: "Chỉ đạo điều hành", en: "Direction"}
    max_points: 10
    children:
      - code: "1.1"
        name: {vi: "Tỷ lệ hoàn thành kế hoạch", en: "Plan completion"}
        max_points: 2
        method: self_assessed
        rubric: {kind: tiers, tiers: [{min: 90, points: 2, strict: true}, {min: 70, points: 1}]}
      - code: "1.2"
        name: {vi: "Kế hoạch có kinh phí", en: "Plan has a budget"}
        max_points: 1
        method: self_assessed
        rubric: {kind: binary}
      - code: "1.3"
        name: {vi: "Ban hành kế hoạch", en: "Plan issued"}
        max_points: 1
        method: self_assessed
        rubric: {kind: timeliness}
      - code: "1.4"
        name: {vi: "Tỷ lệ hồ sơ trực tuyến", en: "Online dossiers"}
        max_points: 4
        method: self_assessed
        rubric: {kind: proportional, full_at: 80}
      - code: "1.5"
        name: {vi: "Sáng kiến", en: "Initiatives"}
        max_points: 2
        method: self_assessed
        may_be_not_applicable: true
  - code: "2"
    name: {vi: "Tác động", en: "Impact"}
    max_points: 10
    children:
      - code: "2.1"
        name: {vi: "Đánh giá của người dân và công chức", en: "Citizens and officials"}
        max_points: 6
        method: survey
        rubric: {kind: survey, groups: [citizens, officials]}
      - code: "2.2"
        name: {vi: "Chỉ số SIPAS", en: "SIPAS"}
        max_points: 4
        method: survey
        rubric: {kind: sipas}
  - code: "B"
    name: {vi: "Điểm thưởng", en: "Bonus"}
    max_points: 2
    role: bonus
    children:
      - {code: "B.1", name: {vi: "Thưởng 1", en: "Bonus 1"}, max_points: 1.5, method: self_assessed}
      - {code: "B.2", name: {vi: "Thưởng 2", en: "Bonus 2"}, max_points: 1.5, method: self_assessed}
  - code: "P"
    name: {vi: "Điểm trừ", en: "Penalty"}
    max_points: 1
    role: penalty
    children:
      - {code: "P.1", name: {vi: "Vi phạm", en: "Breach"}, max_points: 2, method: self_assessed}
"""


FLAT = """
id: flat
kind: par
version: "1"
title: {vi: "Phẳng", en: "Flat"}
total_points: 100
groups:
  - {code: A, min_index: 90}
  - {code: B, min_index: 80}
  - {code: C, min_index: 70}
nodes:
  - {code: "1", name: {vi: "Một", en: "One"}, max_points: 60, method: self_assessed}
  - {code: "2", name: {vi: "Hai", en: "Two"}, max_points: 40, method: self_assessed}
"""
