"""Values derived from a substance-use history: computed here, never typed by anyone.

Pure: no Django, no database. Inputs are any objects with the attributes named in the
protocols below (model rows, dataclasses, test doubles).

Leaf-equivalent grams per day exist only where the unit allows an honest sum:

* leaf powder in grams: grams per dose x doses per day;
* capsules of leaf powder: capsules per dose x mg per capsule / 1000 x doses per day.

Extracts, shots, 7-OH products, capsules of extract or of unknown contents, and "other" products
are **not** converted: no validated conversion to leaf grams exists (clinical reference,
section 4), and a made-up factor would look like data. They are reported separately, per day
in their own unit, with a note saying so.

Flags:

* ``daily_use``: some kratom product is taken at least once a day (doses per day >= 1);
* ``seven_oh_use``: some product is a concentrated 7-OH product (recorded apart from leaf);
* ``opioid_co_use``: opioids were used in the past 12 months (any frequency but "not in the
  past 12 months"): broad on purpose, because the overdose risk it signals is serious;
* ``qt_prolonging_medication``: the medical history says yes, or a current medication is
  flagged as QT-prolonging (mitragynine prolongs QTc).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Final, Protocol

from assessments.history_rules import (
    CAPSULE_LEAF,
    CAPSULES,
    COUNT,
    GRAMS,
    LEAF_POWDER,
    MILLIGRAMS,
    NOT_IN_PAST_YEAR,
    SEVEN_OH,
    YES,
)

NO_CONVERSION_NOTE: Final = (
    "Not converted to leaf grams: no validated conversion exists for this product."
)
CENTIGRAM: Final = Decimal("0.01")


class ProductRow(Protocol):
    form: str
    unit: str
    amount: Decimal
    doses_per_day: Decimal
    mg_per_unit: Decimal | None
    capsule_contents: str


class SubstanceRow(Protocol):
    substance: str
    frequency: str


class MedicationRow(Protocol):
    qt_prolonging: bool


@dataclass(frozen=True)
class UnconvertedUse:
    """A product reported in its own unit because it has no leaf equivalent."""

    form: str
    unit: str
    amount_per_day: Decimal
    mg_per_day: Decimal | None
    note: str = NO_CONVERSION_NOTE


@dataclass(frozen=True)
class DerivedHistory:
    leaf_equivalent_g_per_day: Decimal | None
    unconverted: tuple[UnconvertedUse, ...]
    daily_use: bool
    seven_oh_use: bool
    opioid_co_use: bool
    qt_prolonging_medication: bool


def leaf_grams_per_day(row: ProductRow) -> Decimal | None:
    """Exact leaf grams per day for one product row, or None when it has no leaf equivalent."""
    if row.form == LEAF_POWDER and row.unit == GRAMS:
        return row.amount * row.doses_per_day
    if (
        row.form == CAPSULES
        and row.unit == COUNT
        and row.capsule_contents == CAPSULE_LEAF
        and row.mg_per_unit is not None
    ):
        return row.amount * row.mg_per_unit / 1000 * row.doses_per_day
    return None


def unconverted_use(row: ProductRow) -> UnconvertedUse:
    per_day = row.amount * row.doses_per_day
    if row.unit == MILLIGRAMS:
        mg = per_day
    elif row.unit == COUNT and row.mg_per_unit is not None:
        mg = per_day * row.mg_per_unit
    else:
        mg = None
    return UnconvertedUse(form=row.form, unit=row.unit, amount_per_day=per_day, mg_per_day=mg)


def derive(
    products: Iterable[ProductRow],
    other_substances: Iterable[SubstanceRow] = (),
    medications: Iterable[MedicationRow] = (),
    *,
    qt_prolonging_medications: str = "unknown",
) -> DerivedHistory:
    """Every derived value of one history (see the module docstring for the rules)."""
    products = list(products)
    leaf = [g for g in map(leaf_grams_per_day, products) if g is not None]
    total = sum(leaf, Decimal(0)).quantize(CENTIGRAM, ROUND_HALF_UP) if leaf else None
    return DerivedHistory(
        leaf_equivalent_g_per_day=total,
        unconverted=tuple(unconverted_use(p) for p in products if leaf_grams_per_day(p) is None),
        daily_use=any(p.doses_per_day >= 1 for p in products),
        seven_oh_use=any(p.form == SEVEN_OH for p in products),
        opioid_co_use=any(
            s.substance == "opioids" and s.frequency != NOT_IN_PAST_YEAR for s in other_substances
        ),
        qt_prolonging_medication=qt_prolonging_medications == YES
        or any(m.qt_prolonging for m in medications),
    )
