"""Model cards: one template with YAML front matter (language, license, library, datasets, metrics),
filled at training time for every model directory xhnlp writes (``README.md`` beside the weights)."""
from __future__ import annotations

import json
import re
from pathlib import Path

FRONT = """---
language: zh
license: mit
library_name: xhnlp
tags: [text-classification, policy, government-work-reports]
datasets: [xhnlp-corpus-gold-{round}]
metrics:
{metrics}
---
"""


def split_of(report: str | Path | None) -> str:
    """How the folds of an ``eval/grouped.py`` report were made, from its recorded command."""
    if not report or not Path(report).exists():
        return "grouped folds by region"
    m = re.search(r"--folds (\d+)", json.loads(Path(report).read_text(encoding="utf-8")).get("command", ""))
    return f"grouped {m.group(1) if m else 5}-fold by region over all gold documents"


def metrics_from(report: str | Path | None, system: str | None) -> dict[str, float]:
    """Macro-F1 of ``system`` in an ``eval/grouped.py`` report (pooled out-of-fold predictions)."""
    if not report or not system or not Path(report).exists():
        return {}
    results = json.loads(Path(report).read_text(encoding="utf-8"))["results"]
    if system not in results:
        return {}
    r = results[system]
    out = {f"{h}_macro_f1": r["all"][f"{h}_macro_f1"] for h in ("area", "type")}
    if "review_typed_none" in r:
        out["review_part_typed_none"] = r["review_typed_none"]
    return out


def write_card(path: Path, title: str, summary: str, sections: dict[str, str], metrics: dict[str, float],
               split: str = "grouped 5-fold by region over all gold documents", round_: str = "2026-12-r3") -> None:
    lines = [f"  - name: {k}\n    value: {v}\n    split: {split}" for k, v in metrics.items()] or ["  []"]
    body = FRONT.format(round=round_, metrics="\n".join(lines)) + f"\n# {title}\n\n{summary}\n"
    for heading, text in sections.items():
        body += f"\n## {heading}\n{text.strip()}\n"
    (Path(path) / "README.md").write_text(body, encoding="utf-8")
