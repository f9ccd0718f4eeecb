"""ASAM Criteria reference data per edition, and validation of a recorded level-of-care rating.

Pure: no Django, no database. The ASAM text and its decision rules are proprietary, so this
module only names dimensions and levels (short labels in our own words) and checks that a
clinician's record is complete and consistent. It never derives a level from the ratings and
never averages them: the highest-risk dimensions drive placement, by clinical judgement
(:func:`highest_risk_dimensions` is a display aid only).

The edition is stored with every rating because adoption of the fourth edition varies by state.

* ``"3"``: The ASAM Criteria, third edition (2013). Dimensions, levels and weekly hours as in
  the project clinical reference, section 3.
* ``"4"``: The ASAM Criteria, fourth edition (2023). Dimension names are the reference's. The
  level numbering (1.0, 1.5, 1.7, 2.1, 2.5, 2.7, 3.1, 3.5, 3.7, 4.0) and short names come from
  the author's recollection of the published edition, cross-checked against several independent
  public implementations (state reporting code, FHIR code lists that mark 3.3 and 3.2-WM as
  going away); the book itself was not available. That edition integrates withdrawal
  management into the medically managed levels (1.7, 2.7, 3.7, 4.0) instead of separate "-WM"
  levels, and 0.5 is not in its continuum. Confirm against the book before billing use.
  The fourth edition also rates sub-dimensions; one 0-4 rating per dimension for both editions
  is this project's recording choice, not that edition's own scoring.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

RATING_MIN = 0
RATING_MAX = 4

DIFFERENCE_REASONS: tuple[str, ...] = (
    "patient_choice",
    "not_available",
    "payer",
    "clinical_judgement",
    "other",
)


class AsamError(ValueError):
    """Invalid rating record; ``errors`` maps a field to messages so an API can answer 400."""

    def __init__(self, errors: Mapping[str, list[str]]):
        self.errors: dict[str, list[str]] = {field: list(msgs) for field, msgs in errors.items()}
        super().__init__(
            "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in self.errors.items())
        )


@dataclass(frozen=True)
class Dimension:
    code: str
    number: int
    name: str


@dataclass(frozen=True)
class Level:
    """A level of care; ``withdrawal_management`` marks WM levels (or integrated WM in ed. 4)."""

    code: str
    name: str
    hours_per_week: str | None = None
    withdrawal_management: bool = False


_DIMENSIONS: dict[str, tuple[Dimension, ...]] = {
    "3": (
        Dimension("d1", 1, "Intoxication and withdrawal potential"),
        Dimension("d2", 2, "Biomedical conditions"),
        Dimension("d3", 3, "Emotional, behavioural or cognitive conditions"),
        Dimension("d4", 4, "Readiness to change"),
        Dimension("d5", 5, "Relapse or continued use potential"),
        Dimension("d6", 6, "Recovery and living environment"),
    ),
    "4": (
        Dimension("d1", 1, "Intoxication, withdrawal and addiction medications"),
        Dimension("d2", 2, "Biomedical conditions"),
        Dimension("d3", 3, "Psychiatric and cognitive conditions"),
        Dimension("d4", 4, "Substance use-related risks"),
        Dimension("d5", 5, "Recovery environment interactions"),
        Dimension("d6", 6, "Person-centred considerations"),
    ),
}

_LEVELS: dict[str, tuple[Level, ...]] = {
    "3": (
        Level("0.5", "Early intervention"),
        Level("1", "Outpatient", "< 9"),
        Level("2.1", "Intensive outpatient", "9-19"),
        Level("2.5", "Partial hospitalisation", ">= 20"),
        Level("3.1", "Clinically managed low-intensity residential"),
        Level("3.3", "Clinically managed population-specific high-intensity residential"),
        Level("3.5", "Clinically managed high-intensity residential"),
        Level("3.7", "Medically monitored intensive inpatient"),
        Level("4", "Medically managed intensive inpatient"),
        Level(
            "1-WM", "Ambulatory WM without extended on-site monitoring", withdrawal_management=True
        ),
        Level("2-WM", "Ambulatory WM with extended on-site monitoring", withdrawal_management=True),
        Level("3.2-WM", "Clinically managed residential WM", withdrawal_management=True),
        Level("3.7-WM", "Medically monitored inpatient WM", withdrawal_management=True),
        Level("4-WM", "Medically managed intensive inpatient WM", withdrawal_management=True),
    ),
    "4": (
        Level("1.0", "Long-term remission monitoring"),
        Level("1.5", "Outpatient therapy"),
        Level("1.7", "Medically managed outpatient", withdrawal_management=True),
        Level("2.1", "Intensive outpatient"),
        Level("2.5", "High-intensity outpatient"),
        Level("2.7", "Medically managed intensive outpatient", withdrawal_management=True),
        Level("3.1", "Clinically managed low-intensity residential"),
        Level("3.5", "Clinically managed high-intensity residential"),
        Level("3.7", "Medically managed residential", withdrawal_management=True),
        Level("4.0", "Medically managed inpatient", withdrawal_management=True),
    ),
}

EDITIONS: tuple[str, ...] = tuple(_DIMENSIONS)


def _edition(edition: str) -> str:
    if edition not in _DIMENSIONS:
        raise AsamError(
            {"edition": [f"Unknown edition {edition!r}: use one of {', '.join(EDITIONS)}."]}
        )
    return edition


def dimensions(edition: str) -> tuple[Dimension, ...]:
    """The six dimensions of an edition, in order."""
    return _DIMENSIONS[_edition(edition)]


def levels(edition: str) -> tuple[Level, ...]:
    """The level-of-care choices of an edition, least to most intensive (WM levels last)."""
    return _LEVELS[_edition(edition)]


def validate_rating(
    edition: str,
    ratings: Mapping[str, int],
    indicated_level: str,
    provided_level: str | None,
    difference_reason: str | None,
) -> None:
    """Check a rating record; raise ``AsamError`` with every problem found, keyed by field.

    Every dimension needs a whole-number rating 0-4. Both levels must belong to the edition;
    the provided level may be empty while placement is pending. A provided level that differs
    from the indicated one needs a reason from ``DIFFERENCE_REASONS``; a reason without a
    difference is refused, so the record never explains a difference that did not happen.
    """
    edition = _edition(edition)
    errors: dict[str, list[str]] = defaultdict(list)
    codes = {d.code for d in _DIMENSIONS[edition]}
    if not isinstance(ratings, Mapping):
        errors["ratings"].append("Must map dimension codes (d1 to d6) to ratings.")
    else:
        for dim in _DIMENSIONS[edition]:
            if dim.code not in ratings:
                errors[f"ratings.{dim.code}"].append("Missing rating.")
                continue
            value = ratings[dim.code]
            if isinstance(value, bool) or not isinstance(value, int):
                errors[f"ratings.{dim.code}"].append("Rating must be a whole number 0 to 4.")
            elif not RATING_MIN <= value <= RATING_MAX:
                errors[f"ratings.{dim.code}"].append(f"Rating {value} is outside 0 to 4.")
        unknown = sorted(str(k) for k in ratings if k not in codes)
        if unknown:
            errors["ratings"].append(f"Unknown dimensions: {', '.join(unknown)}.")

    level_codes = {lv.code for lv in _LEVELS[edition]}
    if indicated_level not in level_codes:
        errors["indicated_level"].append(
            f"{indicated_level!r} is not a level of edition {edition}."
        )
    if not _blank(provided_level) and provided_level not in level_codes:
        errors["provided_level"].append(f"{provided_level!r} is not a level of edition {edition}.")

    differs = not _blank(provided_level) and provided_level != indicated_level
    if not _blank(difference_reason) and difference_reason not in DIFFERENCE_REASONS:
        errors["difference_reason"].append(f"Must be one of: {', '.join(DIFFERENCE_REASONS)}.")
    elif differs and _blank(difference_reason):
        errors["difference_reason"].append(
            "Give a reason when the provided level differs from the indicated level."
        )
    elif not differs and not _blank(difference_reason):
        errors["difference_reason"].append("Give a reason only when the provided level differs.")
    if errors:
        raise AsamError(errors)


def _blank(value: str | None) -> bool:
    return value is None or value == ""


def highest_risk_dimensions(ratings: Mapping[str, int]) -> tuple[str, ...]:
    """Dimension codes sharing the highest rating, in code order; a display aid, not a placement."""
    if not ratings:
        return ()
    top = max(ratings.values())
    return tuple(sorted(code for code, value in ratings.items() if value == top))
