"""Design-based estimation of satisfaction indices: item shares, composites, ranks, change, diagnosis.

Pure: dataframes in, typed results out; no database, files or network.
"""

from sipas.survey.composites import Tree, combine_published, index_tree
from sipas.survey.design import Design, DesignColumns, LonelyPsu, design_from_frame
from sipas.survey.estimate import (
    MEAN_OF_UNITS,
    NATIONAL,
    POOLED,
    EstimationOptions,
    SurveyEstimates,
    estimate,
)
from sipas.survey.replicates import ReplicateMethod, ReplicateOptions

__all__ = [
    "MEAN_OF_UNITS",
    "NATIONAL",
    "POOLED",
    "Design",
    "DesignColumns",
    "EstimationOptions",
    "LonelyPsu",
    "ReplicateMethod",
    "ReplicateOptions",
    "SurveyEstimates",
    "Tree",
    "combine_published",
    "design_from_frame",
    "estimate",
    "index_tree",
]
