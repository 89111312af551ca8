"""The sheets of each report's workbook: the ministry's table layouts, then the tidy data."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sipas.reports.excel import Sheet, write_workbook
from sipas.reports.format import label
from sipas.reports.html import title

# The data sheet: one row per unit × indicator, headed by the labels of the report's language.
# Units and indicators are named, never shown by their internal codes (a province keeps its
# official code); programs read the same numbers from `sipas results show --format json`.
TIDY_COLUMNS = (
    ("year", "year"),
    ("run", "source_run"),
    ("geography", "geography"),
    ("partition", "scope"),
    ("cell", "code"),
    ("name", "unit_name"),
    ("region", "region"),
    ("indicator_name", "indicator"),
    ("level", "level"),
    ("estimate", "value"),
    ("se", "se"),
    ("ci_low", "ci_low"),
    ("ci_high", "ci_high"),
    ("n", "n"),
    ("deff", "deff"),
    ("unstable", "unstable"),
    ("rank", "rank"),
    ("rank_low", "rank_low"),
    ("rank_high", "rank_high"),
)
NATIONAL_CELLS = {"mean_of_provinces": "national_mean", "pooled": "pooled"}


def _labeller(lang: str) -> Callable[[str], str]:
    return lambda key: label(key, lang)


def _yes_no(value: Any, lang: str) -> str | None:
    """A yes/no as the reader's word (Có/Không), never TRUE/FALSE."""
    return None if value is None else label("yes" if value else "no", lang)


def _interval(low: Any, high: Any) -> str | None:
    return None if low is None or high is None else f"{low}–{high}"


def _banners(doc: dict[str, Any]) -> list[str]:
    lang = doc["lang"]
    found = [title(doc)]
    if doc.get("synthetic"):
        found.append(label("synthetic", lang))
    if doc.get("derived"):
        found.append(label("derived", lang))
    return found


def _tidy_value(record: dict[str, Any], key: str, lang: str) -> Any:
    value = record.get(key)
    if key == "unstable":
        return _yes_no(value, lang)
    if key == "level" and value:
        return label(f"level.{value}", lang)
    national = record.get("partition") == "national"
    if key == "partition" and (national or str(value).startswith("province")):
        return label("scope_national" if national else "scope_province", lang)
    if key == "cell" and national:
        return label(NATIONAL_CELLS[value], lang) if value in NATIONAL_CELLS else value
    return value


def tidy_sheet(doc: dict[str, Any]) -> Sheet:
    """One row per unit × indicator with every number the report shows."""
    lang = doc["lang"]
    rows = [[_tidy_value(r, key, lang) for key, _ in TIDY_COLUMNS] for r in doc["tidy"]]
    return Sheet(
        label("data_sheet", lang),
        f"{label('source_run', lang)} {doc['run']}",
        [label(header, lang) for _, header in TIDY_COLUMNS],
        rows,
    )


def _ranking(doc: dict[str, Any]) -> Sheet:
    t = _labeller(doc["lang"])
    headers = [
        "STT",
        t("code"),
        t("province"),
        t("region"),
        "SIPAS",
        t("policy"),
        t("service"),
        t("rank"),
        t("rank_interval"),
        f"{t('ci')} (−)",
        f"{t('ci')} (+)",
        t("se"),
        t("n"),
        t("deff"),
        t("unstable"),
        t("group"),
    ]
    rows = [
        [
            i,
            p["code"],
            p["name"],
            p["region"],
            p["estimate"],
            p["policy"],
            p["service"],
            p["rank"],
            _interval(p["rank_low"], p["rank_high"]),
            p["ci_low"],
            p["ci_high"],
            p["se"],
            p["n"],
            p["deff"],
            _yes_no(p["unstable"], doc["lang"]),
            t(p["group"]) if p["group"] else None,
        ]
        for i, p in enumerate(doc["provinces"], start=1)
    ]
    return Sheet(
        t("ranking"), f"{t('ranking')} — SIPAS {doc['year']}", headers, rows, (5, 6, 22, 28)
    )


def _elements_matrix(doc: dict[str, Any]) -> Sheet:
    t = _labeller(doc["lang"])
    indicators = doc["indicators"]
    headers = ["STT", t("code"), t("province"), *(i["name"] for i in indicators)]
    rows = [
        [n, p["code"], p["name"], *(p["values"].get(i["code"]) for i in indicators)]
        for n, p in enumerate(doc["provinces"], start=1)
    ]
    rows.append(
        [
            None,
            None,
            t("national_mean"),
            *(doc["national_values"].get(i["code"]) for i in indicators),
        ]
    )
    return Sheet(t("element"), t("profile"), headers, rows, (5, 6, 22))


def _national_sheets(doc: dict[str, Any]) -> list[Sheet]:
    t = _labeller(doc["lang"])
    sheets = [_ranking(doc), _elements_matrix(doc)]
    sheets.append(
        Sheet(
            t("regions"),
            t("regions"),
            [t("region"), t("provinces_count"), "SIPAS", t("best_in_region"), "SIPAS"],
            [[r["name"], r["count"], r["mean"], r["best_name"], r["best"]] for r in doc["regions"]],
            (34, 10, 10, 22),
        )
    )
    change = doc.get("change")
    if change:
        sheets.append(
            Sheet(
                t("change_short"),
                f"{t('change')}: {change['before']} → {change['after']}",
                [
                    t("code"),
                    t("province"),
                    t("before"),
                    t("after"),
                    t("change_short"),
                    t("se"),
                    "z",
                    "p",
                    t("significant"),
                ],
                [
                    [
                        c["cell"],
                        c["name"],
                        c["before"],
                        c["after"],
                        c["change"],
                        c["se_change"],
                        c["z"],
                        c["p_value"],
                        _yes_no(c["significant"], doc["lang"]),
                    ]
                    for c in change["rows"]
                ],
                (6, 22),
            )
        )
    sheets.append(_methodology(doc))
    return sheets


def _methodology(doc: dict[str, Any]) -> Sheet:
    """The methodology statements, numbered (their ids are for the code, not the reader)."""
    return Sheet(
        label("method_short", doc["lang"]),
        label("methodology", doc["lang"]),
        ["#", label("methodology", doc["lang"])],
        [[n, m["text"]] for n, m in enumerate(doc["methodology"], start=1)],
        (6, 120),
    )


def _province_sheets(doc: dict[str, Any]) -> list[Sheet]:
    t = _labeller(doc["lang"])
    p = doc["province"]
    summary = Sheet(
        t("summary"),
        f"{p['name']} — SIPAS {doc['year']}",
        ["", t("value")],
        [
            ["SIPAS", p["estimate"]],
            [f"{t('ci')} (−)", p["ci_low"]],
            [f"{t('ci')} (+)", p["ci_high"]],
            [t("rank"), p["rank"]],
            [t("rank_interval"), _interval(p["rank_low"], p["rank_high"])],
            [t("n"), p["n"]],
            [t("national_mean"), doc["national"]["estimate"]],
            [f"{t('best_province')}: {doc['best']['name']}", doc["best"]["estimate"]],
            [
                f"{t('best_in_region')}: {doc['best_in_region']['name']}",
                doc["best_in_region"]["estimate"],
            ],
        ],
        (40, 14),
    )
    headers = [
        t("element"),
        t("value"),
        f"{t('ci')} (−)",
        f"{t('ci')} (+)",
        t("national_mean"),
        t("difference"),
        t("se"),
        t("vs_mean"),
        t("best"),
        t("best_province"),
    ]

    def rows(entries: list[dict[str, Any]]) -> list[list[Any]]:
        return [
            [
                e["name"],
                e["estimate"],
                e["ci_low"],
                e["ci_high"],
                e["national"],
                e["diff_national"],
                e["se_diff_national"],
                t(e["vs_national"]) if e["vs_national"] else None,
                e["best"],
                e["best_name"],
            ]
            for e in entries
        ]

    sheets = [
        summary,
        Sheet(t("element"), t("profile"), headers, rows(doc["elements"]), (40,)),
        Sheet(t("item"), t("item"), headers, rows(doc["items"]), (60,)),
        Sheet(
            t("trend"),
            t("trend"),
            [
                t("year"),
                t("source_run"),
                "SIPAS",
                f"{t('ci')} (−)",
                f"{t('ci')} (+)",
                t("rank"),
                t("national_mean"),
            ],
            [
                [
                    t["year"],
                    t["run"],
                    t["estimate"],
                    t["ci_low"],
                    t["ci_high"],
                    t["rank"],
                    t["national"],
                ]
                for t in doc["trend"]
            ],
            (8, 24),
        ),
    ]
    par = doc.get("par")
    if par:
        sheets.append(
            Sheet(
                "PAR",
                f"{t('par')} {par['year']} ({par['campaign']})",
                [t("area"), "", t("par_index"), t("national_mean"), t("difference")],
                [
                    [a["code"], a["name"], a["index"], a["national"], a["diff"]]
                    for a in par["areas"]
                ],
                (8, 60),
            )
        )
    sheets.append(_methodology(doc))
    return sheets


def _appraisal_sheets(doc: dict[str, Any]) -> list[Sheet]:
    t = _labeller(doc["lang"])

    def _stage(stage: str) -> str:
        """A stage by its name (Tự đánh giá, Thẩm định lần 1), as the PDF shows it."""
        return t(stage) if stage in ("self", "appraisal1", "appraisal2", "final") else stage

    scores = Sheet(
        t("area"),
        title(doc),
        [
            "STT",
            f"{t('area')} / {t('criterion')}",
            t("max"),
            t("self"),
            t("appraisal1"),
            t("appraisal2"),
            t("final"),
            t("reason"),
        ],
        [
            [
                r["node"],
                r["name"],
                r["max"],
                r["self"],
                r["appraisal1"],
                r["appraisal2"],
                r["final"],
                r["reason"],
            ]
            for r in doc["rows"]
        ],
        (8, 60, 10, 10, 10, 10, 10, 50),
    )
    history = Sheet(
        t("history"),
        t("history"),
        [t("when"), t("who"), t("stage"), t("criterion"), t("before"), t("after"), t("reason")],
        [
            [
                h["at"],
                h["actor"],
                _stage(h["stage"]),
                h["leaf"],
                h["before"],
                h["after"],
                h["reason"],
            ]
            for h in doc["history"]
        ],
        (20, 20, 14, 10, 10, 10, 50),
    )
    return [scores, history]


def sheets(doc: dict[str, Any]) -> list[Sheet]:
    if doc["kind"] == "national":
        return [*_national_sheets(doc), tidy_sheet(doc)]
    if doc["kind"] == "province":
        return [*_province_sheets(doc), tidy_sheet(doc)]
    return _appraisal_sheets(doc)


def render_xlsx(doc: dict[str, Any], path: Path) -> Path:
    return write_workbook(path, sheets(doc), _banners(doc))
