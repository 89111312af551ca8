"""Synthetic data sets (surveys, PAR rounds), labelled synthetic wherever they appear."""

from sipas.synthetic.par import synthetic_par_round
from sipas.synthetic.survey import (
    SyntheticDesign,
    fieldwork_window,
    survey_provinces,
    synthetic_province_survey,
    synthetic_survey,
)

__all__ = [
    "SyntheticDesign",
    "fieldwork_window",
    "survey_provinces",
    "synthetic_par_round",
    "synthetic_province_survey",
    "synthetic_survey",
]
