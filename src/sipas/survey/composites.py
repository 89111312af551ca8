"""From item shares to components, sub-indices and the index, following the framework's tree.

Every aggregation in the ministry's method is an unweighted mean of children (A3, A4): a component
is the mean of its items' shares, a sub-index the mean of its components, SIPAS the mean of the
two sub-indices. The same function combines full-sample values and every replicate, so composites
get their uncertainty from the replicates. A child with no value (an item nobody answered in a
cell) is left out of its parent's mean rather than counted as zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sipas.frameworks.model import IndexNode, SurveyFramework


@dataclass(frozen=True)
class Node:
    code: str
    name_vi: str
    name_en: str
    level: str  # "index", "subindex" or "component"
    parent: str | None
    children: tuple[str, ...]  # child node codes
    items: tuple[str, ...]  # item codes (components only)


@dataclass(frozen=True)
class Tree:
    nodes: tuple[Node, ...]  # pre-order: the index first
    item_codes: tuple[str, ...]

    @property
    def codes(self) -> list[str]:
        return [n.code for n in self.nodes]

    def item_weights(self) -> np.ndarray:
        """items × nodes: the weight each item carries in each node when nothing is blank."""
        position = {code: k for k, code in enumerate(self.item_codes)}
        index = {n.code: j for j, n in enumerate(self.nodes)}
        weights = np.zeros((len(self.item_codes), len(self.nodes)))
        for j in reversed(range(len(self.nodes))):  # children before parents
            node = self.nodes[j]
            if node.items:
                for code in node.items:
                    weights[position[code], j] = 1.0 / len(node.items)
            else:
                for child in node.children:
                    weights[:, j] += weights[:, index[child]] / len(node.children)
        return weights

    def combine(self, values: np.ndarray) -> np.ndarray:
        """Node values from item values: (..., items, R) → (..., nodes, R).

        R is any trailing axis (replicates, or 1 for the full sample). NaN items are left out of
        their component's mean.
        """
        if values.shape[-2] != len(self.item_codes):
            raise ValueError("the item axis does not match the tree")
        position = {code: k for k, code in enumerate(self.item_codes)}
        index = {n.code: j for j, n in enumerate(self.nodes)}
        out = np.full((*values.shape[:-2], len(self.nodes), values.shape[-1]), np.nan)
        for j in reversed(range(len(self.nodes))):  # children before parents
            node = self.nodes[j]
            if node.items:
                parts = values[..., [position[c] for c in node.items], :]
            else:
                parts = out[..., [index[c] for c in node.children], :]
            present = ~np.isnan(parts)
            count = present.sum(axis=-2)
            total = np.where(present, parts, 0.0).sum(axis=-2)
            with np.errstate(invalid="ignore", divide="ignore"):
                out[..., j, :] = np.where(count > 0, total / count, np.nan)
        return out


def _level(node: IndexNode, depth: int) -> str:
    if depth == 0:
        return "index"
    if node.items:
        return "component"
    return "subindex"


def index_tree(framework: SurveyFramework) -> Tree:
    nodes: list[Node] = []

    def visit(node: IndexNode, parent: str | None, depth: int) -> None:
        nodes.append(
            Node(
                code=node.code,
                name_vi=node.name.vi,
                name_en=node.name.en,
                level=_level(node, depth),
                parent=parent,
                children=tuple(child.code for child in node.children or []),
                items=tuple(node.items or []),
            )
        )
        for child in node.children or []:
            visit(child, node.code, depth + 1)

    visit(framework.satisfaction.index, None, 0)
    return Tree(tuple(nodes), tuple(framework.item_codes()))


def combine_published(framework: SurveyFramework, values: dict[str, float]) -> dict[str, float]:
    """Fill in parents from published child values (e.g. sub-indices → SIPAS), rounded as published.

    Used to check the published arithmetic: Hà Nội 2024's policy 86.51 and service 86.49 give 86.50.
    """
    tree = index_tree(framework)
    filled = dict(values)
    for j in reversed(range(len(tree.nodes))):
        node = tree.nodes[j]
        if node.code in filled or not node.children:
            continue
        known = [filled[c] for c in node.children if c in filled]
        if len(known) == len(node.children):
            filled[node.code] = round(sum(known) / len(known), framework.rules.decimals)
    return filled
