"""Pure gradual-dose-reduction (taper) schedules: no Django, no database.

No taper guideline exists for kratom (clinical reference, section 4), so every clinical number
comes from the clinician. The module defaults below are documented settings, not advice.

Amounts live on a grid. Per-dose amounts are whole multiples of the clinician's rounding
increment, so every daily amount is a whole multiple of ``rounding_increment * doses_per_day``
(one "grid unit"). The generator counts in whole grid units with exact fractions, which makes the
promises exact rather than approximately true: a schedule never increases, never stalls, never
goes below the floor and ends exactly on it.

Rules, in the order they are applied for each new step:

1. Requested reduction: ``reduction_value`` percent of the current daily amount (``percent``), or
   ``reduction_value`` of the unit per day (``fixed``); raised to ``min_step`` if smaller.
2. Target = current - requested. The per-dose target is rounded to the nearest increment; a tie
   keeps the larger dose (the gentler step).
3. If rounding left the step smaller than ``min_step`` (or smaller than one grid unit, i.e. a
   stall), one more grid unit comes off until it is not.
4. A result at or below the floor becomes the floor, and the schedule ends there. Only this last
   step may be smaller than ``min_step``.
"""

from __future__ import annotations

import bisect
import dataclasses
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from enum import StrEnum
from fractions import Fraction


class Unit(StrEnum):
    """The unit is always stored with the amount: extracts and 7-OH are far stronger than leaf."""

    GRAM = "g"
    MILLIGRAM = "mg"
    COUNT = "count"


class ProductForm(StrEnum):
    LEAF_POWDER = "leaf_powder"
    CAPSULES = "capsules"
    EXTRACT_LIQUID = "extract_liquid"
    SEVEN_OH = "seven_oh"
    OTHER = "other"


class ReductionMode(StrEnum):
    PERCENT = "percent"
    FIXED = "fixed"


# Documented settings, not clinical advice.
DEFAULT_STEP_DAYS = 7
DEFAULT_DOSES_PER_DAY = 1
DEFAULT_ROUNDING_INCREMENT = Decimal("0.5")
DEFAULT_MIN_STEP = Decimal(0)
DEFAULT_FLOOR = Decimal(0)
DEFAULT_MAX_STEPS = 200
# Hard ceiling on ``max_steps`` so a request cannot ask the server for an enormous schedule.
MAX_STEPS_LIMIT = 1000


class TaperError(ValueError):
    """Invalid taper input; ``errors`` maps a field name to messages so an API can answer 400."""

    def __init__(self, errors: Mapping[str, list[str]]):
        self.errors: dict[str, list[str]] = {field: list(msgs) for field, msgs in errors.items()}
        super().__init__(
            "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in self.errors.items())
        )


@dataclass(frozen=True)
class TaperParams:
    """What the clinician chose. Amounts are daily amounts in ``unit`` unless named per dose.

    ``min_step`` is an absolute daily amount: a smaller percent step is raised to it.
    ``floor`` is where the taper ends (0 means stop). ``start_date`` is the first day of step 1.
    """

    start_amount: Decimal
    unit: str
    product_form: str
    reduction_mode: str
    reduction_value: Decimal
    start_date: date
    step_days: int = DEFAULT_STEP_DAYS
    min_step: Decimal = DEFAULT_MIN_STEP
    floor: Decimal = DEFAULT_FLOOR
    doses_per_day: int = DEFAULT_DOSES_PER_DAY
    rounding_increment: Decimal = DEFAULT_ROUNDING_INCREMENT


@dataclass(frozen=True)
class TaperStep:
    """One step; ``end_date`` is inclusive, so the next step starts the day after it."""

    number: int
    start_date: date
    end_date: date
    daily_amount: Decimal
    per_dose_amount: Decimal
    unit: str


# ---------------------------------------------------------------------------------------------
# Validation


def _is_number(value: object) -> bool:
    """Decimal or int only: floats would bring binary rounding errors into clinical amounts."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        return False
    return Decimal(value).is_finite()


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _fmt(value: Fraction | Decimal) -> str:
    """Plain decimal text for messages, without exponent notation or trailing zeros."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return format(value.normalize(), "f")


def _grid(params: TaperParams) -> Fraction:
    return Fraction(params.rounding_increment) * params.doses_per_day


def validate_taper_params(params: TaperParams, *, max_steps: int = DEFAULT_MAX_STEPS) -> None:
    """Raise ``TaperError`` listing every problem at once, so a form can show them together."""
    errors: dict[str, list[str]] = defaultdict(list)
    p = params

    start_ok = _is_number(p.start_amount) and p.start_amount > 0
    if not start_ok:
        errors["start_amount"].append("Must be a number greater than 0.")
    if p.unit not in {u.value for u in Unit}:
        errors["unit"].append(f"Must be one of: {', '.join(u.value for u in Unit)}.")
    if p.product_form not in {f.value for f in ProductForm}:
        errors["product_form"].append(f"Must be one of: {', '.join(f.value for f in ProductForm)}.")
    mode_ok = p.reduction_mode in {m.value for m in ReductionMode}
    if not mode_ok:
        errors["reduction_mode"].append(
            f"Must be one of: {', '.join(m.value for m in ReductionMode)}."
        )

    value_ok = _is_number(p.reduction_value)
    if not value_ok:
        errors["reduction_value"].append("Must be a number.")
    elif p.reduction_mode == ReductionMode.PERCENT and not 0 < p.reduction_value < 100:
        errors["reduction_value"].append(
            "A percent reduction must be greater than 0 and below 100."
        )
        value_ok = False
    elif p.reduction_mode == ReductionMode.FIXED and p.reduction_value <= 0:
        errors["reduction_value"].append("A fixed reduction must be greater than 0.")
        value_ok = False

    if not _is_count(p.step_days) or p.step_days < 1:
        errors["step_days"].append("Must be a whole number of days, at least 1.")

    min_step_ok = _is_number(p.min_step) and p.min_step >= 0
    if not min_step_ok:
        errors["min_step"].append("Must be a number, 0 or more.")
    elif p.reduction_mode == ReductionMode.FIXED and value_ok and p.reduction_value < p.min_step:
        errors["min_step"].append("Must not be larger than the fixed reduction per step.")

    floor_ok = _is_number(p.floor) and p.floor >= 0
    if not floor_ok:
        errors["floor"].append("Must be a number, 0 or more (0 means stop).")
    elif start_ok and p.floor >= p.start_amount:
        errors["floor"].append("Must be lower than the start amount.")
        floor_ok = False

    doses_ok = _is_count(p.doses_per_day) and p.doses_per_day >= 1
    if not doses_ok:
        errors["doses_per_day"].append("Must be a whole number, at least 1.")
    increment_ok = _is_number(p.rounding_increment) and p.rounding_increment > 0
    if not increment_ok:
        errors["rounding_increment"].append("Must be a number greater than 0.")

    if not isinstance(p.start_date, date) or isinstance(p.start_date, datetime):
        errors["start_date"].append("Must be a date.")
    if not _is_count(max_steps) or not 2 <= max_steps <= MAX_STEPS_LIMIT:
        errors["max_steps"].append(f"Must be a whole number from 2 to {MAX_STEPS_LIMIT}.")

    # Every step, including the first and the last, must split into equal doses on the increment.
    if doses_ok and increment_ok:
        grid = _grid(p)
        for field, ok in (("start_amount", start_ok), ("floor", floor_ok)):
            if not ok:
                continue
            amount = Fraction(getattr(p, field))
            if (amount / grid).denominator != 1:
                below = math.floor(amount / grid) * grid
                errors[field].append(
                    f"Must split into {p.doses_per_day} equal doses that are whole multiples of "
                    f"{_fmt(p.rounding_increment)} {p.unit}: the nearest valid amounts are "
                    f"{_fmt(below)} and {_fmt(below + grid)} {p.unit}."
                )
    if errors:
        raise TaperError(errors)


# ---------------------------------------------------------------------------------------------
# Generation


def _exact_mul(amount: Decimal, factor: int) -> Decimal:
    """Multiply without the default 28-digit context silently rounding the result."""
    with localcontext() as ctx:
        ctx.prec = len(amount.as_tuple().digits) + len(str(abs(factor))) + 2
        return amount * factor


def _too_many_steps(max_steps: int) -> TaperError:
    return TaperError(
        {
            "reduction_value": [
                f"The schedule would need more than {max_steps} steps: use a larger reduction "
                "or minimum step, or a higher floor."
            ]
        }
    )


def _amount_units(params: TaperParams, max_steps: int) -> list[int]:
    """Daily amounts in whole grid units, step 1 first and the floor last."""
    grid = _grid(params)
    current = int(Fraction(params.start_amount) / grid)
    floor = int(Fraction(params.floor) / grid)
    min_step = Fraction(params.min_step)
    min_units = max(1, math.ceil(min_step / grid))
    percent = params.reduction_mode == ReductionMode.PERCENT
    value = Fraction(params.reduction_value)

    units = [current]
    while current > floor:
        if len(units) >= max_steps:
            raise _too_many_steps(max_steps)
        requested = current * grid * value / 100 if percent else value
        target = current * grid - max(requested, min_step)
        rounded = math.floor(target / grid + Fraction(1, 2))  # nearest; ties keep the larger dose
        current = max(min(rounded, current - min_units), floor)
        units.append(current)
    return units


def _build_steps(params: TaperParams, *, max_steps: int, first_number: int = 1) -> list[TaperStep]:
    units = _amount_units(params, max_steps)
    length = timedelta(days=params.step_days)
    steps = []
    try:
        for index, n in enumerate(units):
            start = params.start_date + length * index
            per_dose = _exact_mul(params.rounding_increment, n)
            steps.append(
                TaperStep(
                    number=first_number + index,
                    start_date=start,
                    end_date=start + length - timedelta(days=1),
                    daily_amount=_exact_mul(per_dose, params.doses_per_day),
                    per_dose_amount=per_dose,
                    unit=str(params.unit),
                )
            )
    except OverflowError:
        raise TaperError(
            {"start_date": ["The schedule would run past the last date the system can store."]}
        ) from None
    return steps


def generate_taper(params: TaperParams, *, max_steps: int = DEFAULT_MAX_STEPS) -> list[TaperStep]:
    """Build the schedule; step 1 is the start amount and the last step is exactly the floor."""
    validate_taper_params(params, max_steps=max_steps)
    return _build_steps(params, max_steps=max_steps)


# ---------------------------------------------------------------------------------------------
# Working with an existing schedule


def _check_schedule(steps: Sequence[TaperStep]) -> None:
    """Reject schedules that are not 1..n with contiguous dates: later maths relies on that."""
    if not steps:
        raise TaperError({"steps": ["The schedule has no steps."]})
    for index, step in enumerate(steps):
        if step.number != index + 1:
            raise TaperError({"steps": ["Steps must be numbered 1, 2, 3... in order."]})
        if index and step.start_date != steps[index - 1].end_date + timedelta(days=1):
            raise TaperError({"steps": ["Step dates must follow each other with no gap."]})
        if step.end_date < step.start_date:
            raise TaperError({"steps": ["A step cannot end before it starts."]})


def replan_from(
    steps: Sequence[TaperStep],
    current_step_number: int,
    new_params: TaperParams,
    *,
    max_steps: int = DEFAULT_MAX_STEPS,
) -> list[TaperStep]:
    """Keep steps before the current one untouched and regenerate from the current step on.

    History is never rewritten: the new part starts on the day the current step started (so
    ``new_params.start_date`` is ignored) and is numbered on from it. The new start amount may be
    higher than the previous step (a clinician may step back up). ``max_steps`` bounds the whole
    schedule, kept steps included. The unit must stay the same: a new product is a new taper.
    """
    _check_schedule(steps)
    if not _is_count(current_step_number) or not 1 <= current_step_number <= len(steps):
        raise TaperError(
            {"current_step_number": [f"Must be a step of this schedule (1 to {len(steps)})."]}
        )
    current = steps[current_step_number - 1]
    params = dataclasses.replace(new_params, start_date=current.start_date)
    validate_taper_params(params, max_steps=max_steps)
    if params.unit != current.unit:
        raise TaperError(
            {"unit": [f"Must stay {current.unit}; a different unit needs a new taper."]}
        )
    kept = list(steps[: current_step_number - 1])
    try:
        new = _build_steps(
            params, max_steps=max_steps - len(kept), first_number=current_step_number
        )
    except TaperError as exc:
        if "reduction_value" in exc.errors:  # report the whole-schedule limit, not the remainder
            raise _too_many_steps(max_steps) from None
        raise
    return kept + new


def step_on(steps: Sequence[TaperStep], day: date) -> TaperStep | None:
    """The step in force on ``day``, or None before the first step or after the last one ends."""
    if not steps:
        return None
    index = bisect.bisect_right([s.start_date for s in steps], day) - 1
    if index < 0 or day > steps[index].end_date:
        return None
    return steps[index]


def adherence(
    planned_steps: Sequence[TaperStep],
    dose_log: Mapping[date, Decimal],
    *,
    as_of: date | None = None,
) -> dict:
    """Compare logged daily totals with the plan, day by day.

    Days are counted from the first step through ``as_of`` (default: the last planned day), so a
    taper in progress is not penalised for days that have not happened. A planned day with no log
    entry is missing, which counts against adherence. Log amounts are daily totals in the
    schedule's unit. ``mean_excess`` averages (logged - planned) over the days over plan; it and
    ``percent_adherent`` are None when their denominator is empty.
    """
    _check_schedule(planned_steps)
    bad = [
        day
        for day, amount in dose_log.items()
        if not isinstance(day, date)
        or isinstance(day, datetime)
        or not _is_number(amount)
        or amount < 0
    ]
    if bad:
        raise TaperError(
            {"dose_log": ["Each entry must be a date with a daily amount of 0 or more."]}
        )

    first = planned_steps[0].start_date
    last = planned_steps[-1].end_date
    if as_of is not None:
        last = min(last, as_of)
    planned_days = max(0, (last - first).days + 1)

    logged = under = over = 0
    excess_total = Decimal(0)
    for day, amount in dose_log.items():
        if not first <= day <= last:
            continue
        step = step_on(planned_steps, day)
        logged += 1
        if amount <= step.daily_amount:
            under += 1
        else:
            over += 1
            excess_total += amount - step.daily_amount

    outside = len(dose_log) - logged
    mean_excess = (excess_total / over).quantize(Decimal("0.01"), ROUND_HALF_UP) if over else None
    percent = (
        (Decimal(under) * 100 / planned_days).quantize(Decimal("0.1"), ROUND_HALF_UP)
        if planned_days
        else None
    )
    return {
        "unit": planned_steps[0].unit,
        "days_planned": planned_days,
        "days_logged": logged,
        "days_missing": planned_days - logged,
        "days_at_or_under_plan": under,
        "days_over_plan": over,
        "mean_excess": mean_excess,
        "percent_adherent": percent,
        "entries_outside_plan": outside,
    }
