"""svy side of the benchmark: Taylor domain means of the 0/1 items y01..y33 by province.

Runs in its own virtual environment (benchmarks/.venv-svy, pins in requirements/bench.txt), so
that svy's dependencies never enter the project's environment.

Usage: python benchmarks/svy_bench.py DATA.csv [REPEATS]

The file is read before timing. Each timed run builds the sample (design: strata, PSUs, weights)
and estimates every item by province with Taylor linearisation, one call per item, blanks dropped
(as R's ``svyby(..., na.rm = TRUE)``). Prints one JSON object: versions, seconds of each run, the
domains and the standard errors of the last run (item -> one SE per domain).
"""

from __future__ import annotations

import json
import re
import sys
import time
from importlib.metadata import version

import polars as pl
import svy


def estimate_all(data: pl.DataFrame, items: list[str]) -> list[pl.DataFrame]:
    sample = svy.Sample(data, svy.Design(stratum="stratum", psu="village", wgt="weight"))
    return [
        sample.estimation.mean(item, by="province", method="taylor", drop_nulls=True).to_polars()
        for item in items
    ]


def main() -> None:
    path = sys.argv[1]
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    text = {"stratum": pl.Utf8, "village": pl.Utf8, "province": pl.Utf8}
    data = pl.read_csv(path, schema_overrides=text)
    items = [c for c in data.columns if re.fullmatch(r"y\d+", c)]
    estimate_all(data, items[:1])  # warm-up: first-call set-up is not what we measure
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = estimate_all(data, items)
        seconds.append(time.perf_counter() - start)
    domains = out[0]["province"].to_list()
    se = {}
    for item, frame in zip(items, out, strict=True):
        if frame["province"].to_list() != domains:
            raise SystemExit(f"svy returned provinces in another order for {item}")
        se[item] = frame["se"].to_list()
    print(
        json.dumps(
            {
                "svy_version": version("svy"),
                "polars_version": version("polars"),
                "rows": data.height,
                "items": items,
                "repeats": repeats,
                "seconds": seconds,
                "domains": domains,
                "se": se,
            }
        )
    )


if __name__ == "__main__":
    main()
