"""From diagnosis to action on the web: what a province should improve first, how much of each
rank is an artefact of method, a province against its peers on the published figures, and a
province's service time across the three indices — each page with its JSON twin, built from the
same api query as the CLI command (`sipas priorities`, `sipas sensitivity`, `sipas compare --on
published`).

The pages read public results (saved runs of stored surveys, published figures, final PAR
campaigns, stored service-index results), so they are public like the rankings. What they
compute again (an estimation with replicates, a Monte Carlo over methods) is computed once per
state of the data and kept, a few at a time (:mod:`sipas.web.limits`); the sensitivity is
computed only when asked for with the page's form.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Query, Request

from sipas.api.queries import public
from sipas.api.queries import published as published_api
from sipas.errors import SipasError
from sipas.messages import text
from sipas.web import charts
from sipas.web.i18n import translate
from sipas.web.lazy import lazy_module
from sipas.web.limits import Rendered, gate_of
from sipas.web.render import db_of, lang_of, page, wants_json

if TYPE_CHECKING:
    from sipas.api.queries import compare as compare_api
    from sipas.api.queries import cross_index as cross_api
    from sipas.api.queries import priorities as priorities_api
    from sipas.api.queries import sensitivity as sensitivity_api
else:  # the survey core and the service index load when a page first needs them
    compare_api = lazy_module("sipas.api.queries.compare")
    cross_api = lazy_module("sipas.api.queries.cross_index")
    priorities_api = lazy_module("sipas.api.queries.priorities")
    sensitivity_api = lazy_module("sipas.api.queries.sensitivity")

router = APIRouter()
REPLICATES = 200  # as `sipas priorities` by default
DRAWS = 200  # the sensitivity form's default: a modest Monte Carlo (the CLI's default is 1000)
MOST_DRAWS = 2000


def _state(request: Request) -> Any:
    return public.version(db_of(request))


def clean(value: Any) -> Any:
    """A result as JSON can carry it: NaN (an undefined number) becomes null."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    return value


def computed(request: Request, key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
    """``compute()`` (a dataclass) as plain data, computed once per state of the data and kept;
    at most a few computations at a time in a process, as report files."""

    def render() -> Rendered:
        found = clean(asdict(compute()))
        return Rendered(json.dumps(found, ensure_ascii=False, default=str).encode(), "")

    kept = gate_of(request).get((*key, _state(request)), render)
    return json.loads(kept.body)


def _run_of(request: Request, run: str) -> dict[str, Any]:
    for found in public.cached(db_of(request), "sipas_runs"):
        if found["code"] == run:
            return dict(found)
    raise SipasError("public.unknown_run", run=run)


# --- what to improve first -----------------------------------------------------------------------


@page(router, "/sipas/{run}/province/{code}/priorities", "priorities.html", cache=_state)
def priorities(request: Request, run: str, code: str) -> dict[str, Any]:
    """What a province should improve first: each component's satisfaction against the share
    asking for it to improve, as `sipas priorities --survey SURVEY --province CODE` (the twin is
    its `--format json`)."""
    lang = lang_of(request)
    found = _run_of(request, run)
    if found["derived"]:
        raise SipasError("priorities.derived_run", run=run)
    survey = str(found["source"]).removeprefix("survey:")
    db = db_of(request)
    seed = int(request.app.state.settings.seed)
    data = computed(
        request,
        ("priorities", survey, code, lang, REPLICATES, seed),
        lambda: priorities_api.priorities(db, survey, code, lang, REPLICATES, seed),
    )
    if wants_json(request):
        return dict(data)
    names = data["names"]
    points = [
        {**p, "name": names.get(p["node"], p["node"])}
        for p in data["components"]
        if p["importance"] is not None
    ]
    labels = {
        "title": text("priorities.title", lang, name=data["name"], survey=survey),
        "first": text("priorities.quadrant.improve_first", lang),
        "others": translate("priorities_others", lang),
        "performance": text("priorities.axis.performance", lang),
        "importance": text("priorities.axis.importance", lang),
    }
    medians = tuple(data["medians"])
    return {
        **data,
        "run": run,
        "province": code,
        "quadrants": {
            p["node"]: text(f"priorities.quadrant.{p['quadrant']}", lang)
            for p in data["components"]
        },
        "chart": charts.importance_performance(points, (medians[0], medians[1]), labels),
    }


# --- sensitivity of ranks to method ---------------------------------------------------------------


@page(router, "/sipas/{run}/sensitivity", "sensitivity.html", cache=_state)
def sensitivity(
    request: Request,
    run: str,
    draws: int | None = None,
    seed: int | None = None,
    no_drop: bool = False,
) -> dict[str, Any]:
    """Ranks of a saved run when the threshold, weights, aggregation and components vary, next
    to their sampling rank intervals, as `sipas sensitivity RUN --draws N --seed S` (computed
    when ``draws`` is given; the twin is then the command's `--format json`)."""
    lang = lang_of(request)
    found = _run_of(request, run)
    chosen_seed = int(request.app.state.settings.seed) if seed is None else seed
    form = {"draws": draws or DRAWS, "seed": chosen_seed, "no_drop": no_drop, "most": MOST_DRAWS}
    if draws is None:
        return {"run": run, "year": found["year"], "synthetic": found["synthetic"],
                "computed": False, "form": form}  # fmt: skip
    if not 10 <= draws <= MOST_DRAWS:
        raise SipasError("sensitivity.draws", draws=draws, most=MOST_DRAWS)
    db = db_of(request)
    choices = sensitivity_api.Choices(draws=draws, seed=chosen_seed, drop=not no_drop)
    data = computed(
        request,
        ("sensitivity", run, draws, chosen_seed, no_drop),
        lambda: sensitivity_api.run_sensitivity(db, run, choices),
    )
    if wants_json(request):
        return dict(data)
    names = data["names"]
    units = sorted(data["result"]["units"], key=lambda u: u["nominal_rank"])
    rows = [
        {
            "cell": u["cell"],
            "name": names.get(u["cell"], u["cell"]),
            "rank": u["nominal_rank"],
            "method_low": u["rank_low"],
            "method_high": u["rank_high"],
            "sampling_low": u["sampling_low"],
            "sampling_high": u["sampling_high"],
            "share": u["method_share"],
            "index": u["nominal_index"],
        }
        for u in units
    ]
    labels = {
        "title": text("sensitivity.title", lang, run=run),
        "method": text("sensitivity.legend.method", lang),
        "sampling": text("sensitivity.legend.sampling", lang),
        "axis": text("sensitivity.col.rank", lang),
    }
    factors = [
        {"factor": text(f"sensitivity.factor.{k}", lang), "share": v}
        for k, v in data["result"]["first_order"].items()
    ]
    return {
        **data,
        "year": found["year"],
        "computed": True,
        "form": form,
        "rows": rows,
        "factors": factors,
        "chart": charts.rank_ranges(rows, labels),
    }


# --- peers on the published figures ------------------------------------------------------------


def _published_compare(
    request: Request, index: str, year: int, province: str, peers: str
) -> dict[str, Any]:
    lang = lang_of(request)
    if not province.strip():
        raise SipasError("http.bad_request", fields=["province"])
    found = compare_api.compare_published(db_of(request), province, peers, year, index)
    data = clean(asdict(found))
    if wants_json(request):
        return dict(data)
    kind = compare_api.peer_kind(peers)
    dots = [
        {"code": p["unit"], "name": p["name"], "estimate": p["value"], "ci_low": None,
         "ci_high": None}
        for p in data["peer_values"]
        if p["value"] is not None
    ]  # fmt: skip
    dots.append(
        {"code": found.cell, "name": found.name, "estimate": found.value, "ci_low": None,
         "ci_high": None}
    )  # fmt: skip
    dots.sort(key=lambda d: -d["estimate"])
    national = None
    beside = published_api.beside(db_of(request), index, year)
    if beside is not None and beside["national"] is not None:
        national = beside["national"]["value"]
    title = text("compare.title", lang, name=found.name,
                 peers=text(f"compare.peers.{kind}", lang), run=f"{index.upper()} {year}")  # fmt: skip
    return {
        **data,
        "title": title,
        "kind": kind,
        "national": national,
        "label": text("published.label", lang),
        "chart": charts.ranking_dots(dots, national, title),
    }


@page(router, "/sipas/published/{year}/compare", "compare_published.html", cache=_state)
def sipas_published_compare(
    request: Request, year: int, province: str = "", peers: str = Query("top5", alias="with")
) -> dict[str, Any]:
    """A province against its peers on the SIPAS values the ministry published for a year, as
    `sipas compare P --with PEERS --on published --year Y` (no significance: no SEs)."""
    return _published_compare(request, "sipas", year, province, peers)


@page(router, "/par/published/{year}/compare", "compare_published.html", cache=_state)
def par_published_compare(
    request: Request, year: int, province: str = "", peers: str = Query("top5", alias="with")
) -> dict[str, Any]:
    """A province against its peers on the PAR INDEX values the ministry published for a year,
    as `sipas compare P --with PEERS --on published --year Y --index par`."""
    return _published_compare(request, "par", year, province, peers)


# --- several provinces, or a province and its peers, on a saved run ------------------------------


def compare_run(request: Request, run: str, asked: list[str], peers: str) -> dict[str, Any]:
    """The data of the compare page (:func:`sipas.web.pages_public.compare`): several provinces
    side by side, each node against the national mean; with ``peers``, the first province
    against that peer set (as `sipas compare P --with PEERS --run RUN`); with two provinces, the
    first against the second."""
    lang = lang_of(request)
    found = _run_of(request, run)
    db = db_of(request)
    asked = [a.strip() for a in asked if a.strip()]
    if not asked:
        raise SipasError("http.bad_request", fields=["a", "b"])
    key = ("compare", run, tuple(asked), peers.strip(), lang)
    both = computed(
        request, key, lambda: compare_api.compare_view(db, run, asked, peers.strip(), lang)
    )
    side, against = both["side_by_side"], both["against"]
    kind = compare_api.peer_kind(peers) if peers.strip() else None
    data: dict[str, Any] = {
        "run": run,
        "year": found["year"],
        "synthetic": found["synthetic"],
        "geography": found["geography"],
        "asked": ", ".join(asked),
        "peers": peers,
        "kind": kind,
        "side_by_side": side,
        "against": against,
    }
    if wants_json(request):
        return data
    labels = {
        "title": f"SIPAS {found['year']} · {', '.join(side['names'])}",
        "national": translate("national_mean", lang),
        "axis": translate("compare_axis", lang),
    }
    provinces = [
        {"name": name, "values": [row["provinces"][i] for row in side["rows"]]}
        for i, name in enumerate(side["names"])
    ]
    data["chart"] = charts.provinces_on_nodes(
        side["rows"], provinces, [row["national"] for row in side["rows"]], labels
    )
    if against is not None:
        data["against_title"] = text(
            "compare.title",
            lang,
            name=against["name"],
            peers=text(f"compare.peers.{kind or 'list'}", lang),
            run=run,
        )
        data["against"] = {
            **against,
            "rows": [r for r in against["rows"] if r["level"] != "item"],
        }
    data["verdicts"] = {
        v: text(f"compare.verdict.{v.replace(' ', '_')}", lang)
        for v in ("above", "below", "not different")
    }
    return data


# --- one province across the three indices ------------------------------------------------------


@page(router, "/sipas/{run}/province/{code}/cross-index", "cross_index.html", cache=_state)
def cross_index(request: Request, run: str, code: str) -> dict[str, Any]:
    """A province's service time on the three indices year by year: the SIPAS items on
    processing time, the service index's on-time rate, the PAR area on procedures."""
    lang = lang_of(request)
    data_dir = request.app.state.settings.resolved_service_index_data()
    found = cross_api.cross_index(db_of(request), data_dir, run, code)
    data = clean(asdict(found))
    if wants_json(request):
        return dict(data)
    labels = {"sipas": "SIPAS", "service_index": translate("service_index", lang),
              "par": translate("par", lang)}  # fmt: skip
    shown = []
    for s in data["series"]:
        label = f"{labels[s['index']]} · {s['name'][lang]}"
        style = {"sipas": ("circle", "solid"), "service_index": ("square", "dash"),
                 "par": ("diamond", "dot")}[s["index"]]  # fmt: skip
        shown.append({**s, "label": label, "symbol": style[0], "dash": style[1]})
    by_year = {
        year: {s["key"]: next((p for p in s["points"] if p["year"] == year), None)
               for s in shown}
        for year in data["years"]
    }  # fmt: skip
    title = f"{found.name} · {translate('cross_index', lang)}"
    return {
        **data,
        "shown": shown,
        "by_year": by_year,
        "chart": charts.indices_over_years(shown, title, translate("percent", lang)),
    }
