"""Design-based linear regression: R ``survey::svyglm`` with the gaussian family.

Coefficients are weighted least squares; their covariance is the sandwich R uses: the Taylor
variance of the totals of each respondent's influence ``w_i e_i x_i (X'WX)^-1``, between PSUs
within strata (with the finite-population factor and R's lonely-PSU rules). Rows with a missing
value in the outcome or a predictor get weight zero and stay in the design, as R's subset of a
design does, so every stratum keeps its PSUs.

Used for the regression-based importance of satisfaction items (``sipas priorities``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sipas.errors import SipasError
from sipas.survey.design import Design, LonelyPsu

Z95 = 1.959963984540054  # R's confint.svyglm: Wald intervals on the normal distribution


@dataclass(frozen=True)
class Regression:
    names: tuple[str, ...]  # "(Intercept)" first, then the predictors
    coef: np.ndarray
    se: np.ndarray
    vcov: np.ndarray
    n: int  # rows used (complete)

    def ci(self) -> tuple[np.ndarray, np.ndarray]:
        return self.coef - Z95 * self.se, self.coef + Z95 * self.se


def total_covariance(design: Design, z: np.ndarray) -> np.ndarray:
    """Covariance of the estimated totals of the columns of ``z`` (rows × k), as R's
    ``svyrecvar`` for a one-stage stratified cluster design with PSUs taken with replacement."""
    k = z.shape[1]
    totals = np.zeros((design.n_psus, k))
    np.add.at(totals, design.psu, z)
    covariance = np.zeros((k, k))
    usable = 0
    for h in range(design.n_strata):
        members = totals[design.psu_stratum == h]
        n_h = members.shape[0]
        if n_h == 1:
            # Under "fail" the design was refused when it was built (survey.lonely_psu).
            if design.lonely is LonelyPsu.ADJUST:
                # Centred at the mean of all PSU totals (zero for these influences at the fit).
                centre = totals.mean(axis=0)
                deviation = members - centre
                covariance += design.finite[h] * deviation.T @ deviation
                usable += 1
            continue
        deviation = members - members.mean(axis=0)
        covariance += design.finite[h] * n_h / (n_h - 1) * deviation.T @ deviation
        usable += 1
    if design.lonely is LonelyPsu.AVERAGE and 0 < usable < design.n_strata:
        covariance *= design.n_strata / usable
    return covariance


def svyglm_gaussian(
    design: Design, y: np.ndarray, predictors: np.ndarray, names: tuple[str, ...]
) -> Regression:
    """``svyglm(y ~ x1 + … + xk, design)``: coefficients, standard errors, covariance."""
    x = np.column_stack([np.ones(len(y)), predictors])
    complete = np.isfinite(y) & np.isfinite(x).all(axis=1)
    w = np.where(complete, design.weight, 0.0)
    x0 = np.where(complete[:, None], x, 0.0)
    y0 = np.where(complete, y, 0.0)
    information = x0.T @ (w[:, None] * x0)
    if np.linalg.matrix_rank(information) < x.shape[1]:
        raise SipasError("regression.singular", predictors=list(names))
    inverse = np.linalg.inv(information)
    coef = inverse @ (x0.T @ (w * y0))
    residual = np.where(complete, y0 - x0 @ coef, 0.0)
    influence = (w * residual)[:, None] * x0 @ inverse
    vcov = total_covariance(design, influence)
    return Regression(
        names=("(Intercept)", *names),
        coef=coef,
        se=np.sqrt(np.diag(vcov)),
        vcov=vcov,
        n=int(complete.sum()),
    )
