"""Registry of clinical instruments: versioned definitions plus pure scoring functions.

Use :func:`get_instrument` or :func:`score`; the API and the assessment services publish and store
what these return. C-SSRS questions and any "Kratom Dependence Scale" are deliberately absent (see
docs: licensing and unverifiable scoring).
"""

from __future__ import annotations

from collections.abc import Mapping

from . import (
    asq,
    audit,
    audit_c,
    bam,
    cows,
    dast10,
    dsm5,
    gad7,
    peg,
    phq2,
    phq9,
    readiness_ruler,
    socrates,
    sows,
)
from .base import (
    Band,
    Category,
    Choice,
    Flag,
    InstrumentDefinition,
    Item,
    Result,
    ScoringError,
    Subscale,
    apply_display_text,
    load_display_text,
)

__all__ = [
    "REGISTRY",
    "Band",
    "Category",
    "Choice",
    "Flag",
    "InstrumentDefinition",
    "Item",
    "Result",
    "ScoringError",
    "Subscale",
    "UnknownInstrument",
    "all_instruments",
    "apply_display_text",
    "get_instrument",
    "load_display_text",
    "score",
]

REGISTRY: dict[str, InstrumentDefinition] = {
    module.DEFINITION.code: module.DEFINITION
    for module in (
        phq9,
        phq2,
        gad7,
        audit_c,
        audit,
        dast10,
        cows,
        sows,
        peg,
        asq,
        readiness_ruler,
        socrates,
        bam,
        dsm5,
    )
}


class UnknownInstrument(KeyError):
    """No instrument has this code. The message lists known codes and does not repeat the input."""

    def __init__(self, code: object) -> None:
        self.code = code
        super().__init__(f"Unknown instrument code; known codes: {', '.join(REGISTRY)}.")

    def __str__(self) -> str:
        return str(self.args[0])


def get_instrument(code: str) -> InstrumentDefinition:
    """Look up a definition by its lower-case code (no case folding: codes are identifiers)."""
    try:
        return REGISTRY[code]
    except (KeyError, TypeError):
        raise UnknownInstrument(code) from None


def all_instruments() -> tuple[InstrumentDefinition, ...]:
    return tuple(REGISTRY.values())


def score(code: str, answers: Mapping[str, object], context: Mapping | None = None) -> Result:
    """Validate and score one response; raises UnknownInstrument or ScoringError."""
    return get_instrument(code).score(answers, context=context)
