"""Design-based linear regression against R `survey::svyglm` (script and numbers in
tests/reference/regression/), to 1e-8."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sipas.errors import SipasError
from sipas.survey.design import DesignColumns, LonelyPsu, design_from_frame
from sipas.survey.regression import svyglm_gaussian

HERE = Path(__file__).resolve().parent / "reference"
EXPECTED = pd.read_csv(HERE / "regression" / "expected.csv", dtype={"fpc": str, "lonely": str})
CASES = sorted(
    {(r.dataset, r.fpc, r.lonely) for r in EXPECTED.itertuples()}  # type: ignore[attr-defined]
)
PREDICTORS = ("q1", "q2", "q3", "q4", "q5")


def _fit(dataset: str, fpc: str, lonely: str):  # type: ignore[no-untyped-def]
    frame = pd.read_csv(HERE / "data" / f"{dataset}.csv", dtype={"stratum": str, "psu": str})
    columns = DesignColumns(
        weight="weight",
        psu="psu",
        strata=None if dataset == "unstratified" else "stratum",
        fpc="fpc" if fpc == "yes" else None,
    )
    design = design_from_frame(frame, columns, LonelyPsu(lonely))
    rescaled = (frame[["q6", *PREDICTORS]].astype(float) - 1.0) / 4.0
    return svyglm_gaussian(
        design, rescaled["q6"].to_numpy(), rescaled[list(PREDICTORS)].to_numpy(), PREDICTORS
    )


@pytest.mark.parametrize(("dataset", "fpc", "lonely"), CASES)
def test_coefficients_and_standard_errors_equal_r(dataset: str, fpc: str, lonely: str) -> None:
    model = _fit(dataset, fpc, lonely)
    expected = EXPECTED[
        (EXPECTED["dataset"] == dataset) & (EXPECTED["fpc"] == fpc) & (EXPECTED["lonely"] == lonely)
    ]
    assert list(expected["term"]) == list(model.names)
    np.testing.assert_allclose(model.coef, expected["estimate"], rtol=0, atol=1e-8)
    np.testing.assert_allclose(model.se, expected["se"], rtol=0, atol=1e-8)


def test_a_lonely_psu_is_refused_by_default() -> None:
    with pytest.raises(SipasError) as caught:
        _fit("lonely", "no", "fail")
    assert caught.value.code == "survey.lonely_psu"  # by the design, before any fit


def test_collinear_predictors_are_refused() -> None:
    frame = pd.read_csv(HERE / "data" / "clusters.csv", dtype={"stratum": str, "psu": str})
    design = design_from_frame(frame, DesignColumns("weight", "psu", "stratum"))
    x = frame[["q1", "q1"]].astype(float).to_numpy()
    with pytest.raises(SipasError) as caught:
        svyglm_gaussian(design, frame["q6"].astype(float).to_numpy(), x, ("a", "b"))
    assert caught.value.code == "regression.singular"
