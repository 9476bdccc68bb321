"""The report's opening conclusion, in words: per dataset, which model and harmonisation
method scores the highest overall accuracy, by how much, and whether the paired bootstrap
interval over scenes says the difference is real."""

from __future__ import annotations

import math

import pandas as pd

__all__ = ["conclusion"]

#: Fewest paired scenes whose bootstrap interval the conclusion takes at its word.
_ENOUGH = 5


def conclusion(comparisons: pd.DataFrame) -> list[str]:
    """One paragraph (plain text) per dataset from a table of
    :func:`~crossmask.pipelines.evaluation.summary.oa_comparisons` rows."""
    paragraphs = []
    for dataset, rows in comparisons.groupby("dataset", sort=False):
        first = rows.iloc[0]
        scenes = int(first["scenes"])
        text = [f"{dataset} ({scenes} scene{'s' if scenes != 1 else ''}): "
                f"{_combo(first['model'], first['method'])} scores the highest OA, "
                f"{first['oa']:.2f} % (mean |CAD| {first['abs_cad']:.2f} pp)."]
        notes = set()
        for row in rows.itertuples(index=False):
            if row.against == "runner-up":
                text.append(f"That is {_pp(row.d_oa)} above the runner-up, "
                            f"{_combo(row.other_model, row.other_method)} "
                            f"({row.other_oa:.2f} %){_interval(row, notes)}.")
            elif row.against == "none" and row.model == first["model"]:
                text.append(f"Without harmonisation the same model scores "
                            f"{row.other_oa:.2f} %, {_pp(row.d_oa)} less"
                            f"{_interval(row, notes)}.")
            elif row.against == "none":
                text.append(f"For {row.model}, the best method is {row.method} "
                            f"({row.oa:.2f} %), {_pp(row.d_oa)} above no harmonisation "
                            f"({row.other_oa:.2f} %){_interval(row, notes)}.")
            elif row.against == "peer":
                text.append(f"The peer detector {row.other_model}, on the data's own bands, "
                            f"scores {row.other_oa:.2f} %, {_pp(row.d_oa)} less"
                            f"{_interval(row, notes)}.")
            else:
                text.append("It is the only model and method scored on these data.")
        if "single" in notes:
            text.append("With a single scene there is no interval over scenes, so these "
                        "differences cannot be told apart from scene-to-scene variation.")
        paragraphs.append(" ".join(text))
    return paragraphs


def _combo(model: str, method: str) -> str:
    if method == "none":
        return f"{model} without harmonisation"
    if method == "native":
        return f"{model} on the data's own bands"
    return f"{model} with {method} harmonisation"


def _pp(value: float) -> str:
    return f"{abs(value):.2f} pp"


def _interval(row, notes: set) -> str:
    """The interval clause: whether the paired 95 % interval excludes zero (and whether
    there are enough scenes to trust it)."""
    if row.paired < 2 or math.isnan(row.d_lo):
        notes.add("single")
        return ""
    paired = int(row.paired)  # a float column once any row lacks a pair
    bounds = f"{row.d_lo:+.2f} to {row.d_hi:+.2f} pp over {paired} paired scenes"
    if not (row.d_lo > 0 or row.d_hi < 0):
        return f"; the 95 % interval, {bounds}, includes zero: the difference is not established"
    if paired < _ENOUGH:
        return (f"; the 95 % interval, {bounds}, excludes zero, but {paired} scenes are "
                "too few for it to show that the difference is real")
    return f"; the 95 % interval, {bounds}, excludes zero: the difference is real"
