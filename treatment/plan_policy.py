"""Treatment-plan policy as pure functions: status moves, review cadence, frequency wording.

Pure: no Django, no database. The clinic's numbers (review cadence per level of care, default
intervention frequencies) are settings passed in by the caller; this module only applies them.

Review cadence is clinic policy, not a clinical fact: state rules differ by level of care
(clinical reference §6; Kansas, for example: an outpatient plan within 45 days, updated at least
every 90 days; intensive outpatient and residential plans within 7 days). The cadence table maps an
ASAM level code to the number of days until the next review is due, with a ``"default"`` entry for
codes it does not name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

DRAFT = "draft"
ACTIVE = "active"
UNDER_REVIEW = "under_review"
COMPLETED = "completed"
DISCONTINUED = "discontinued"

# Every legal status move. A draft becomes active only by signing (and co-signing where the clinic
# requires it): the generic transition action refuses that move and says so.
TRANSITIONS: Mapping[str, tuple[str, ...]] = {
    DRAFT: (ACTIVE, DISCONTINUED),
    ACTIVE: (UNDER_REVIEW, COMPLETED, DISCONTINUED),
    UNDER_REVIEW: (ACTIVE, COMPLETED, DISCONTINUED),
    COMPLETED: (),
    DISCONTINUED: (),
}
SIGNING_ONLY: frozenset[tuple[str, str]] = frozenset({(DRAFT, ACTIVE)})
# Plans in force: the ones whose reviews fall due.
IN_FORCE: tuple[str, ...] = (ACTIVE, UNDER_REVIEW)

FREQUENCY_PERIODS: tuple[str, ...] = ("day", "week", "month")
_ADVERBS = {"day": "daily", "week": "weekly", "month": "monthly"}

DEFAULT_KEY = "default"


def is_legal_move(from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(from_status, ())


def manual_transitions(status: str) -> list[str]:
    """The moves the transition action offers from `status` (signing-only moves excluded)."""
    return [to for to in TRANSITIONS.get(status, ()) if (status, to) not in SIGNING_ONLY]


def review_interval_days(level_of_care: str, cadence: Mapping[str, int]) -> int:
    """Days from a plan's start (or its last review) to its next review, for a level of care."""
    if level_of_care in cadence:
        return int(cadence[level_of_care])
    if DEFAULT_KEY not in cadence:
        raise KeyError(f"the review cadence names no {level_of_care!r} and no default")
    return int(cadence[DEFAULT_KEY])


def next_review_due(from_date: dt.date, level_of_care: str, cadence: Mapping[str, int]) -> dt.date:
    return from_date + dt.timedelta(days=review_interval_days(level_of_care, cadence))


def is_review_overdue(next_due: dt.date | None, status: str, today: dt.date) -> bool:
    """Overdue means the due date has passed for a plan in force; a review due today is not late."""
    return status in IN_FORCE and next_due is not None and next_due < today


def frequency_display(count: int, period: str, weeks: int) -> str:
    """Plain wording of an intervention's dose: "weekly for 12 weeks", "3 times a week for 1
    week"."""
    if period not in _ADVERBS:
        raise ValueError(f"unknown period {period!r}")
    if count == 1:
        how_often = _ADVERBS[period]
    elif count == 2:
        how_often = f"twice a {period}"
    else:
        how_often = f"{count} times a {period}"
    return f"{how_often} for {weeks} week{'s' if weeks != 1 else ''}"
