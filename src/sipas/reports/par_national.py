"""The national PAR INDEX report: its title, its chart and its workbook (the PDF and HTML come from
``templates/par_national.html.j2`` through :mod:`sipas.reports.html`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sipas.reports import charts
from sipas.reports.excel import Sheet, write_workbook
from sipas.reports.figures import Figure
from sipas.reports.format import label, number


def par_title(doc: dict[str, Any]) -> str:
    return label(
        "par_national_title",
        doc["lang"],
        index=doc["index_name"],
        year=doc["year"],
        campaign=doc["campaign"],
    )


def _value(x: Any) -> float:
    return float(x) if isinstance(x, int | float) else float("nan")


def par_figures(doc: dict[str, Any]) -> dict[str, Figure | None]:
    """Every unit's index as a point against the national mean (a score, so no interval)."""
    lang = doc["lang"]
    units = [u for u in doc["units"] if u["index"] is not None]
    if not units:
        return {"ranking": None}
    points = [
        charts.Point(u["name"], _value(u["index"]), _value(u["index"]), _value(u["index"]))
        for u in units
    ]
    mean = _value(doc["mean_index"])
    png = charts.ranking(points, mean, lambda x: number(x, lang, 1), label("national_mean", lang))
    top, bottom = units[0], units[-1]
    alt = (
        f"{label('chart_par', lang)}: {len(units)} {label('units', lang).lower()}; "
        f"{top['name']} {number(top['index'], lang)} … {bottom['name']} "
        f"{number(bottom['index'], lang)}; {label('national_mean', lang)} {number(mean, lang)}."
    )
    caption = f"{label('chart_par', lang)} — {doc['year']}. {label('chart_par_note', lang)}"
    return {"ranking": Figure("ranking", png, alt, caption)}


def _sheets(doc: dict[str, Any]) -> list[Sheet]:
    lang = doc["lang"]

    def t(key: str, **values: Any) -> str:
        return label(key, lang, **values)

    change = t("par_change", previous=doc["previous"]) if doc["previous"] else t("change_short")
    ranking = Sheet(
        t("par_ranking"),
        par_title(doc),
        [
            t("rank"),
            t("code"),
            t("units"),
            t("par_points"),
            t("par_bonus"),
            t("par_penalty"),
            t("par_total"),
            t("par_index"),
            t("group"),
            change,
            t("par_rank_change"),
        ],
        [
            [
                u["rank"],
                u["unit"],
                u["name"],
                u["points"],
                u["bonus"],
                u["penalty"],
                u["total"],
                u["index"],
                u["group"],
                u["change"],
                u["rank_change"],
            ]
            for u in doc["units"]
        ],
        (6, 8, 28),
    )
    ranking.rows.append(
        [None, None, t("par_mean"), *([None] * 4), doc["mean_index"], None, None, None]
    )
    areas = Sheet(
        t("par_areas"),
        f"{t('par_areas')} — {doc['year']}",
        [
            t("area"),
            t("max"),
            t("par_area_best"),
            t("par_area_best_points"),
            t("par_component_index"),
            t("par_area_mean_points"),
            t("par_area_mean_index"),
        ],
        [
            [
                a["name"],
                a["max"],
                ", ".join(b["name"] for b in a["best"]),
                a["best_points"],
                a["best_index"],
                a["mean_points"],
                a["mean_index"],
            ]
            for a in doc["areas"]
        ],
        (48, 10, 28),
    )
    matrix = Sheet(
        t("par_area_indices"),
        f"{t('par_area_indices')} — {doc['year']}",
        [t("rank"), t("code"), t("units"), *doc["area_names"]],
        [[u["rank"], u["unit"], u["name"], *u["areas"]] for u in doc["units"]],
        (6, 8, 28),
    )
    groups = Sheet(
        t("par_groups"),
        f"{t('par_groups')} — {doc['year']}",
        [t("group"), t("par_units_count")],
        [[g["label"], g["count"]] for g in doc["groups"]]
        + [[t("par_ungrouped"), doc["ungrouped"]]],
        (40, 12),
    )
    return [ranking, areas, matrix, groups]


def render_par_xlsx(doc: dict[str, Any], path: Path) -> Path:
    banners = [par_title(doc)]
    if doc.get("synthetic"):
        banners.append(label("synthetic", doc["lang"]))
    return write_workbook(path, _sheets(doc), banners)
