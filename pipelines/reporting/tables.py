"""Report tables as CSV, Markdown and LaTeX, and JSON documents, written atomically."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from crossmask.atomic import atomic_output

__all__ = ["PAPER_COLUMNS", "paper_table", "to_latex", "to_markdown", "write_csv", "write_json",
           "write_table"]

#: The paper-style table: label → summary column (percent where marked).
PAPER_COLUMNS = {"OA %": "pooled_oa", "Precision %": "pooled_precision",
                 "Recall %": "pooled_recall", "F1 %": "pooled_f1", "CAD pp": "mean_cad",
                 "|CAD| pp": "mean_abs_cad", "s/Mpx harmonise": "harmonize_s_per_mpx",
                 "s/Mpx predict": "predict_s_per_mpx", "scenes": "n_scenes"}
_PERCENT = {"OA %", "Precision %", "Recall %", "F1 %"}


def paper_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Dataset × model × method rows with OA, precision, recall, F1 (%) and CAD (pp)."""
    keys = [k for k in ("dataset", "biome", "model", "method") if k in summary.columns]
    out = summary[keys].copy()
    for label, column in PAPER_COLUMNS.items():
        if column in summary.columns:
            if column == "n_scenes":
                out[label] = summary[column].astype(int)
                continue
            values = summary[column].astype(float)
            out[label] = (values * 100 if label in _PERCENT else values).round(
                3 if "s/Mpx" in label else 2)
    return out


def to_markdown(table: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table."""
    cells = [[_cell(v).replace("|", "\\|") for v in row]
             for row in table.itertuples(index=False)]
    head = "| " + " | ".join(str(c).replace("|", "\\|") for c in table.columns) + " |"
    rule = "|" + "|".join("---" for _ in table.columns) + "|"
    return "\n".join([head, rule] + ["| " + " | ".join(r) + " |" for r in cells]) + "\n"


def to_latex(table: pd.DataFrame, caption: str = "") -> str:
    """A booktabs LaTeX tabular (numbers right-aligned)."""
    align = "".join("r" if pd.api.types.is_numeric_dtype(table[c]) else "l"
                    for c in table.columns)
    lines = [r"\begin{table}[ht]", r"\centering", rf"\begin{{tabular}}{{{align}}}",
             r"\toprule", " & ".join(_tex(c) for c in table.columns) + r" \\", r"\midrule"]
    lines += [" & ".join(_tex(_cell(v)) for v in row) + r" \\"
              for row in table.itertuples(index=False)]
    lines += [r"\bottomrule", r"\end{tabular}"]
    if caption:
        lines.append(rf"\caption{{{_tex(caption)}}}")
    return "\n".join(lines + [r"\end{table}"]) + "\n"


def write_table(table: pd.DataFrame, stem: Path, caption: str = "") -> list[Path]:
    """Write ``stem``.csv, .md and .tex atomically; return their paths."""
    outputs = {stem.with_suffix(".csv"): table.to_csv(index=False),
               stem.with_suffix(".md"): to_markdown(table),
               stem.with_suffix(".tex"): to_latex(table, caption)}
    for path, text in outputs.items():
        with atomic_output(path, overwrite=True) as tmp:
            tmp.write_text(text)
    return list(outputs)


def write_csv(table: pd.DataFrame, path: Path) -> Path:
    """Write ``table`` as CSV atomically; return the path."""
    with atomic_output(path, overwrite=True) as tmp:
        tmp.write_text(table.to_csv(index=False))
    return path


def write_json(path: Path, document: dict) -> Path:
    with atomic_output(path, overwrite=True) as tmp:
        tmp.write_text(json.dumps(document, indent=2, default=str) + "\n")
    return path


def _cell(value) -> str:
    if isinstance(value, float):
        return "–" if math.isnan(value) else f"{value:g}"
    return str(value)


def _tex(text) -> str:
    out = str(text)
    escapes = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "_": r"\_", "#": r"\#",
               "|": r"$|$", "{": r"\{", "}": r"\}", "$": r"\$", "~": r"\textasciitilde{}",
               "^": r"\textasciicircum{}", "Δ": r"$\Delta$"}
    return "".join(escapes.get(char, char) for char in out)
