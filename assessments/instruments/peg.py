"""PEG: three-item pain intensity and interference scale (Krebs et al. 2009)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import Choice, InstrumentDefinition, Item, Result


def _zero_to_ten(low: str, high: str) -> tuple[Choice, ...]:
    labels = {0: f"0 - {low}", 10: f"10 - {high}"}
    return tuple(Choice(n, labels.get(n, str(n))) for n in range(11))


ITEMS = (
    Item("pain", "Average pain in the past week", _zero_to_ten("no pain", "worst imaginable")),
    Item(
        "enjoyment",
        "Pain interference with enjoyment of life (past week)",
        _zero_to_ten("no interference", "complete interference"),
    ),
    Item(
        "activity",
        "Pain interference with general activity (past week)",
        _zero_to_ten("no interference", "complete interference"),
    ),
)
CODES = tuple(i.code for i in ITEMS)


def score_peg(answers: Mapping[str, Any], *, context: Mapping[str, Any] | None = None) -> Result:
    """Mean of the three items, rounded to 2 decimals; the PEG has no official bands."""
    item_scores = {code: answers[code] for code in CODES}
    total = round(sum(item_scores.values()) / 3, 2)
    return Result(total, item_scores=item_scores)


DEFINITION = InstrumentDefinition(
    code="peg",
    version="1.0",
    title="PEG pain scale (Pain, Enjoyment, General activity)",
    description="Three items 0-10; the score is their mean (0-10, 2 decimals). No official bands.",
    items=ITEMS,
    bands=(),
    total_range=(0, 10),
    loinc_panel="",
    loinc_total="",
    licence="Free to use.",
    allows_partial=False,
    scorer=score_peg,
)
