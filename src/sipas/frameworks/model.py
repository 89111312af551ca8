"""Typed model of index frameworks.

Two kinds of framework share one file format (YAML) and one loader:

- ``kind: survey`` — a satisfaction survey instrument (SIPAS generation 1 and 2): answer scales,
  respondent profile, assessment and expectation questions, the satisfaction items, the tree that
  groups items into components and sub-indices, and the computation rules.
- ``kind: par`` — a scored tree (PAR INDEX): area → criterion → sub-criterion with maximum points
  and a scoring method on each leaf.

The model checks the *shape* of a file (fields, types, enumerations). Rules that involve more than one
node (codes unique, points adding up, items used once) live in :mod:`sipas.frameworks.validate`, so
that a file breaking several of them is reported in full rather than at the first problem.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    """A wording in Vietnamese (first) and English."""

    vi: Annotated[str, Field(min_length=1)]
    en: Annotated[str, Field(min_length=1)]

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.vi


class Option(_Strict):
    code: int | str
    label: Text


class Scale(_Strict):
    """A closed list of answer options, referenced by name from questions."""

    options: Annotated[list[Option], Field(min_length=2)]


class QuestionType(StrEnum):
    SINGLE = "single"  # one option
    MULTIPLE = "multiple"  # any number of options
    YES_NO = "yes_no"
    TEXT = "text"
    INTEGER = "integer"
    DATE = "date"
    GEOGRAPHY = "geography"  # an administrative-unit code valid on the interview date


class SubItem(_Strict):
    """A row of a matrix question (e.g. Q1 asks the same scale about each policy)."""

    code: str
    text: Text


class Question(_Strict):
    code: str
    text: Text
    type: QuestionType
    part: Literal["profile", "assessment", "expectation", "other"] = "assessment"
    scale: str | None = None  # name of a scale in ``scales``
    options: list[Option] | None = None  # inline options, when no shared scale fits
    items: list[SubItem] | None = None  # matrix rows sharing the scale
    required: bool = False
    # A question a file may leave out (its column absent, answers blank); every other column of
    # the framework must be in a file, or be named when importing (``--allow-missing-columns``).
    optional: bool = False
    min: int | None = None  # for integer questions
    max: int | None = None


class SatisfactionItem(_Strict):
    code: str
    text: Text
    paraphrase: bool = False  # True where the wording is ours, not the ministry's
    # The respondent's web form asks for an answer. Off by default: a blank item is "no answer"
    # (see ``rules.blank``), as on paper; a form must still answer ``min_answered`` items.
    required: bool = False
    optional: bool = False  # a file may leave the item's column out


class IndexNode(_Strict):
    """A node of the index tree: either a group of child nodes or a group of items."""

    code: str
    name: Text
    children: list[IndexNode] | None = None
    items: list[str] | None = None  # satisfaction item codes
    # A file listing more of this node's items (CSV or YAML, see ``frameworks.items``), relative
    # to the framework file's folder; read when the framework is loaded, its items added to
    # ``items`` and to the satisfaction items. A user replaces it with the year's own list.
    items_file: str | None = None


class ItemRule(StrEnum):
    TOP2_BOX = "top2_box"  # % of valid answers in the top boxes (A1)
    RESCALED_MEAN = "rescaled_mean"  # (mean - min) / (max - min) x 100


class BlankRule(StrEnum):
    EXCLUDE = "exclude"  # blanks leave the item's denominator (A2)
    AS_NOT_SATISFIED = "as_not_satisfied"  # blanks count in the denominator, never as satisfied


class Aggregation(StrEnum):
    MEAN = "mean"  # unweighted mean of children (A3, A4)


class NationalRule(StrEnum):
    MEAN_OF_PROVINCES = "mean_of_provinces"  # the ministry's "giá trị trung bình" (A5)
    POOLED = "pooled"  # one estimate from all respondents, weighted


class Rules(_Strict):
    """How answers become published numbers. Every default is a documented assumption."""

    item_rule: ItemRule = ItemRule.TOP2_BOX
    top_box_codes: list[int] = Field(default_factory=lambda: [4, 5])
    blanks: BlankRule = BlankRule.EXCLUDE
    component_aggregation: Aggregation = Aggregation.MEAN
    subindex_aggregation: Aggregation = Aggregation.MEAN
    index_aggregation: Aggregation = Aggregation.MEAN
    national: NationalRule = NationalRule.MEAN_OF_PROVINCES
    decimals: int = 2
    assumptions: dict[str, str] = Field(default_factory=dict)  # rule id → what is assumed and why


class Satisfaction(_Strict):
    scale: str
    items: Annotated[list[SatisfactionItem], Field(min_length=1)]
    index: IndexNode
    # A web form answering fewer satisfaction items is refused (it would add nothing to the
    # index): at least one by default.
    min_answered: Annotated[int, Field(ge=0)] = 1


class FrameworkBase(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9.-]*$")]
    version: str
    title: Text
    provisional: bool = False
    years: list[int] = Field(default_factory=list)  # the years whose form or decision this is
    sources: list[str] = Field(default_factory=list)
    notes: str | None = None


class Priorities(_Strict):
    """How the importance of each part of the index is read from the survey, for deciding what to
    improve first. An analytic choice of the framework's author, not part of the index: which
    index node each aspect of the expectations question speaks to is stated here, with a note."""

    expectation_question: str | None = None  # a matrix question rating aspects to improve
    high_priority_codes: list[int] = Field(default_factory=list)  # answers asking for improvement
    links: dict[str, list[str]] = Field(default_factory=dict)  # aspect item → index node codes
    overall_question: str | None = None  # an overall-satisfaction question (regression importance)
    provisional: bool = True
    note: str | None = None


class SurveyFramework(FrameworkBase):
    kind: Literal["survey"]
    generation: int | None = None
    scales: dict[str, Scale]
    profile: list[Question] = Field(default_factory=list)
    questions: list[Question] = Field(default_factory=list)
    satisfaction: Satisfaction
    rules: Rules = Field(default_factory=Rules)
    priorities: Priorities | None = None

    def item_codes(self) -> list[str]:
        return [item.code for item in self.satisfaction.items]

    def question_columns(self) -> list[str]:
        """One column per answer of the non-profile questions (a matrix gives one per row)."""
        columns: list[str] = []
        for question in self.questions:
            if question.items:
                columns.extend(sub.code for sub in question.items)
            else:
                columns.append(question.code)
        return columns

    def options_of(self, question: Question) -> list[Option]:
        if question.options:
            return question.options
        if question.scale is not None and question.scale in self.scales:
            return self.scales[question.scale].options
        return []

    def leaf_components(self) -> list[IndexNode]:
        """The index nodes that hold items (elements and policy groups), in tree order."""
        found: list[IndexNode] = []

        def visit(node: IndexNode) -> None:
            if node.items:
                found.append(node)
            for child in node.children or []:
                visit(child)

        visit(self.satisfaction.index)
        return found


class Method(StrEnum):
    SELF_ASSESSED = "self_assessed"  # self-scored with evidence, then appraised
    SURVEY = "survey"  # filled from a sociological survey, never self-scored
    MIXED = "mixed"  # a node whose parts are scored both ways and are not itemised here


class PointsRubric(_Strict):
    """The points are entered directly (0 to the leaf's maximum)."""

    kind: Literal["points"]


class Tier(_Strict):
    min: float  # the rate (in %) from which the tier applies
    points: float
    strict: bool = False  # True: only above ``min`` ("> 90%"), not at it


class TiersRubric(_Strict):
    """Points by bands of a rate, e.g. > 90% = 2, 70–90% = 1, < 70% = 0. Highest band first."""

    kind: Literal["tiers"]
    tiers: Annotated[list[Tier], Field(min_length=1)]


class BinaryRubric(_Strict):
    """Met (đạt) earns the maximum, not met (không đạt) nothing."""

    kind: Literal["binary"]


class ProportionalRubric(_Strict):
    """Points in proportion to a rate; ``full_at`` (in %) earns the maximum."""

    kind: Literal["proportional"]
    full_at: Annotated[float, Field(gt=0, le=100)] = 100.0


class TimelinessRubric(_Strict):
    """On time / late / missing, as shares of the maximum (1 / 0.5 / 0 by default)."""

    kind: Literal["timeliness"]
    on_time: Annotated[float, Field(ge=0, le=1)] = 1.0
    late: Annotated[float, Field(ge=0, le=1)] = 0.5
    missing: Annotated[float, Field(ge=0, le=1)] = 0.0


class SurveyRubric(_Strict):
    """Scored from survey answers: each answer earns a share of the maximum (A/B/C/D = 100/60/20/0%
    by default); shares are averaged within each respondent group, then over the groups named."""

    kind: Literal["survey"]
    groups: Annotated[list[str], Field(min_length=1)]
    answer_weights: dict[str, Annotated[float, Field(ge=0, le=1)]] = Field(
        default_factory=lambda: {"A": 1.0, "B": 0.6, "C": 0.2, "D": 0.0}
    )


class SipasRubric(_Strict):
    """Fed by a SIPAS result: the province's estimate of ``indicator`` (0–100) × max / 100."""

    kind: Literal["sipas"]
    indicator: str = "SIPAS"


Rubric = Annotated[
    PointsRubric
    | TiersRubric
    | BinaryRubric
    | ProportionalRubric
    | TimelinessRubric
    | SurveyRubric
    | SipasRubric,
    Field(discriminator="kind"),
]


class NodeRole(StrEnum):
    SCORE = "score"  # counts towards the framework's total points
    BONUS = "bonus"  # a top-level node of bonus points; its max_points is the cap
    PENALTY = "penalty"  # a top-level node of penalty points; its max_points is the cap


class NotApplicableRule(StrEnum):
    EXCLUDE = "exclude"  # the leaf leaves both the points and the maximum (index on the rest)
    FULL_POINTS = "full_points"  # the leaf earns its maximum


class ParNode(_Strict):
    code: Annotated[str, Field(min_length=1)]
    name: Text
    max_points: float | None = None  # None = not known (must be marked provisional)
    provisional: bool = False
    method: Method | None = None  # required on leaves
    rubric: Rubric | None = None  # leaves only; None = points entered directly
    may_be_not_applicable: bool = False  # a unit may declare the leaf not applicable to it
    role: NodeRole = NodeRole.SCORE  # top-level nodes only
    evidence_required: bool = True
    children: list[ParNode] = Field(default_factory=list)

    @property
    def is_leaf(self) -> bool:
        return not self.children


class Group(_Strict):
    """A publication group: a unit belongs to the first group whose threshold it reaches."""

    code: str
    min_index: float
    label: Text | None = None


class ParFramework(FrameworkBase):
    kind: Literal["par"]
    total_points: float = 100.0
    levels: list[Text] = Field(default_factory=list)  # names of the tree levels, top first
    groups: list[Group] = Field(default_factory=list)
    not_applicable: NotApplicableRule = NotApplicableRule.EXCLUDE
    nodes: Annotated[list[ParNode], Field(min_length=1)]

    def scored_nodes(self) -> list[ParNode]:
        """The top-level nodes that make up the total (bonus and penalty nodes left out)."""
        return [node for node in self.nodes if node.role is NodeRole.SCORE]

    def walk(self) -> list[tuple[tuple[str, ...], ParNode]]:
        """Every node with the codes of its ancestors, depth first."""
        out: list[tuple[tuple[str, ...], ParNode]] = []

        def visit(node: ParNode, trail: tuple[str, ...]) -> None:
            out.append((trail, node))
            for child in node.children:
                visit(child, (*trail, node.code))

        for top in self.nodes:
            visit(top, ())
        return out

    def leaves(self) -> list[ParNode]:
        return [node for _, node in self.walk() if node.is_leaf]


Framework = Annotated[SurveyFramework | ParFramework, Field(discriminator="kind")]
