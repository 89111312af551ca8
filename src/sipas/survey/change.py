"""Year-over-year change per unit and indicator, with its standard error and a test.

Two years are independent samples, so the variance of a change is the sum of the two variances;
the test is a two-sided z-test at 5%. Both years must be on the same geography: a year surveyed on
the 63 provinces is compared with one on the 34 by first re-estimating it from its microdata on
the 34 (see ``sipas.api.estimation``), and such rows are labelled derived.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sipas.errors import SipasError
from sipas.survey.estimate import Z_95, normal_p_value

KEY = ["partition", "cell", "indicator"]


def yearly_change(
    before: pd.DataFrame,
    after: pd.DataFrame,
    *,
    before_unit: str,
    after_unit: str,
    derived: bool = False,
) -> pd.DataFrame:
    """Changes for every (partition, cell, indicator) two estimate tables share.

    The tables are ``SurveyEstimates.table`` or the same columns loaded from the database; the ranked
    units may sit in differently named columns (e.g. ``province`` and a re-aggregated
    ``province_34``), so the earlier table's unit partition is renamed to the later one's.
    """
    ranked = "rank" in before.columns and "rank" in after.columns
    columns = [*KEY, "level", "estimate", "se", *(["rank"] if ranked else [])]
    earlier = before[columns].replace({"partition": {before_unit: after_unit}})
    joined = earlier.merge(after[columns], on=[*KEY, "level"], suffixes=("_before", "_after"))
    if joined.empty:
        raise SipasError("survey.nothing_to_compare")
    change = joined["estimate_after"] - joined["estimate_before"]
    se = np.sqrt(joined["se_before"] ** 2 + joined["se_after"] ** 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = change / se
    out = joined.rename(columns={"estimate_before": "before", "estimate_after": "after"})
    out["change"] = change
    out["se_change"] = se
    out["z"] = z
    out["p_value"] = [normal_p_value(v) if np.isfinite(v) else np.nan for v in z]
    out["significant"] = np.abs(change) > Z_95 * se
    out["derived"] = derived
    if ranked:  # places moved on the point ranks: + up (a smaller rank number), − down
        out["rank_change"] = pd.to_numeric(out["rank_before"], errors="coerce") - pd.to_numeric(
            out["rank_after"], errors="coerce"
        )
    return out.reset_index(drop=True)
