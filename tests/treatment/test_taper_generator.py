"""Taper schedule generation: worked examples, every validation error, and invariants."""

import math
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from treatment.taper import (
    DEFAULT_MAX_STEPS,
    MAX_STEPS_LIMIT,
    TaperError,
    TaperParams,
    TaperStep,
    generate_taper,
    validate_taper_params,
)

D = Decimal


def make_params(**overrides) -> TaperParams:
    base = {
        "start_amount": D(30),
        "unit": "g",
        "product_form": "leaf_powder",
        "reduction_mode": "percent",
        "reduction_value": D(10),
        "start_date": date(2025, 1, 6),
        "step_days": 7,
        "doses_per_day": 3,
        "rounding_increment": D("0.5"),
    }
    base.update(overrides)
    return TaperParams(**base)


def errors_for(**overrides) -> dict[str, list[str]]:
    with pytest.raises(TaperError) as exc_info:
        generate_taper(make_params(**overrides))
    return exc_info.value.errors


def amounts(steps: list[TaperStep]) -> list[Decimal]:
    return [s.daily_amount for s in steps]


# --- worked examples -------------------------------------------------------------------------


def test_it_builds_the_30_g_ten_percent_weekly_schedule_step_by_step():
    # 30 g/day in 3 doses, 10 % of the current amount every 7 days, doses rounded to 0.5 g.
    # One grid unit = 3 x 0.5 = 1.5 g/day. Targets and what rounding makes of them:
    # 27 -> 27; 24.3 -> 24; 21.6 -> 21; 18.9 -> 19.5; 17.55 -> 18; 16.2 -> 16.5; 14.85 -> 15;
    # 13.5 -> 13.5; 12.15 -> 12; 10.8 -> 10.5; 9.45 -> 9; 8.1 -> 7.5; from 7.5 the 10 % step
    # rounds back to 7.5 (a stall), so one grid unit comes off each step until 0.
    steps = generate_taper(make_params())
    expected_daily = [
        "30", "27", "24", "21", "19.5", "18", "16.5", "15", "13.5",
        "12", "10.5", "9", "7.5", "6", "4.5", "3", "1.5", "0",
    ]  # fmt: skip
    assert amounts(steps) == [D(x) for x in expected_daily]
    assert [s.per_dose_amount for s in steps] == [D(x) / 3 for x in expected_daily]
    assert [s.number for s in steps] == list(range(1, 19))
    assert all(s.unit == "g" for s in steps)
    assert steps[0].start_date == date(2025, 1, 6)
    assert steps[0].end_date == date(2025, 1, 12)
    assert steps[1].start_date == date(2025, 1, 13)
    assert steps[-1].start_date == date(2025, 5, 5)
    assert steps[-1].end_date == date(2025, 5, 11)


def test_it_builds_a_fixed_reduction_onto_a_maintenance_floor():
    steps = generate_taper(
        make_params(
            start_amount=D(20),
            reduction_mode="fixed",
            reduction_value=D("2.5"),
            floor=D(5),
            doses_per_day=1,
            step_days=14,
        )
    )
    assert amounts(steps) == [D(x) for x in ("20", "17.5", "15", "12.5", "10", "7.5", "5")]
    assert steps[-1].daily_amount == D(5)
    assert steps[-1].end_date - steps[0].start_date == timedelta(days=7 * 14 - 1)


def test_it_rounds_an_extract_taper_in_mg_to_the_nearest_increment_and_stops_at_the_floor():
    # 120 mg/day in 2 doses, 20 %, doses in 5 mg: grid 10 mg/day.
    # 96 -> 100; 80 -> 80; 64 -> 60; 48 -> 50; 40 -> 40; 32 -> 30; 24 -> 20 (the floor).
    steps = generate_taper(
        make_params(
            start_amount=D(120),
            unit="mg",
            product_form="extract_liquid",
            reduction_value=D(20),
            floor=D(20),
            doses_per_day=2,
            rounding_increment=D(5),
        )
    )
    assert amounts(steps) == [D(x) for x in (120, 100, 80, 60, 50, 40, 30, 20)]
    assert [s.per_dose_amount for s in steps] == [D(x) for x in (60, 50, 40, 30, 25, 20, 15, 10)]
    assert all(s.unit == "mg" for s in steps)


def test_it_raises_a_small_percent_step_to_the_minimum_step():
    # 10 % of 30 is 3 g, below the 4.5 g minimum, so every step takes 4.5 g; the last step
    # onto the floor (3 -> 0) may be smaller than the minimum.
    steps = generate_taper(make_params(min_step=D("4.5")))
    assert amounts(steps) == [D(x) for x in ("30", "25.5", "21", "16.5", "12", "7.5", "3", "0")]


def test_it_keeps_the_larger_dose_when_rounding_is_a_tie_and_takes_one_more_increment_on_a_stall():
    # 15 % of 10 = 1.5 -> target 8.5, a tie between 8 and 9: the gentler 9 is kept.
    # From 3 the target 2.55 rounds back to 3 (a stall), so one more increment comes off.
    steps = generate_taper(
        make_params(
            start_amount=D(10),
            reduction_value=D(15),
            doses_per_day=1,
            rounding_increment=D(1),
        )
    )
    assert amounts(steps) == [D(x) for x in (10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)]


def test_it_delivers_a_fixed_reduction_as_the_nearest_deliverable_step():
    # 2 g/day cannot be split into 3 doses of 0.5 g steps; the nearest deliverable is 1.5 g/day.
    steps = generate_taper(make_params(reduction_mode="fixed", reduction_value=D(2)))
    assert amounts(steps)[:4] == [D(30), D("28.5"), D(27), D("25.5")]
    assert amounts(steps)[-1] == 0


def test_it_ends_with_a_stop_step_when_the_floor_is_zero():
    steps = generate_taper(make_params())
    assert steps[-1].daily_amount == 0
    assert steps[-1].per_dose_amount == 0
    assert all(s.daily_amount > 0 for s in steps[:-1])


def test_it_steps_straight_to_the_floor_when_one_reduction_reaches_it():
    steps = generate_taper(make_params(reduction_mode="fixed", reduction_value=D(50)))
    assert amounts(steps) == [D(30), D(0)]


def test_it_accepts_one_day_steps_and_count_units():
    steps = generate_taper(
        make_params(
            start_amount=D(4),
            unit="count",
            product_form="seven_oh",
            reduction_mode="fixed",
            reduction_value=D(1),
            step_days=1,
            doses_per_day=1,
            rounding_increment=D(1),
        )
    )
    assert amounts(steps) == [D(4), D(3), D(2), D(1), D(0)]
    assert [s.start_date for s in steps] == [s.end_date for s in steps]


def test_it_returns_immutable_steps():
    step = generate_taper(make_params())[0]
    with pytest.raises(AttributeError):
        step.daily_amount = D(1)


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [D(0), D(-3), 30.0, D("NaN"), D("Infinity"), True, "30"])
def test_it_rejects_a_start_amount_that_is_not_a_positive_decimal(value):
    assert "start_amount" in errors_for(start_amount=value)


@pytest.mark.parametrize("floor", [D(30), D(45)])
def test_it_rejects_a_floor_at_or_above_the_start(floor):
    assert errors_for(floor=floor) == {"floor": ["Must be lower than the start amount."]}


def test_it_rejects_a_negative_floor():
    assert "floor" in errors_for(floor=D("-1.5"))


@pytest.mark.parametrize("percent", [D(0), D(100), D(-5), D("100.5")])
def test_it_rejects_a_percent_outside_zero_to_one_hundred(percent):
    assert errors_for(reduction_value=percent) == {
        "reduction_value": ["A percent reduction must be greater than 0 and below 100."]
    }


@pytest.mark.parametrize("percent", [D("0.01"), D("99.99")])
def test_it_accepts_a_percent_just_inside_the_open_interval(percent):
    steps = generate_taper(make_params(reduction_value=percent), max_steps=MAX_STEPS_LIMIT)
    assert steps[-1].daily_amount == 0


@pytest.mark.parametrize("amount", [D(0), D(-1)])
def test_it_rejects_a_fixed_reduction_that_is_not_positive(amount):
    assert errors_for(reduction_mode="fixed", reduction_value=amount) == {
        "reduction_value": ["A fixed reduction must be greater than 0."]
    }


def test_it_rejects_a_reduction_value_that_is_not_a_number():
    assert errors_for(reduction_value=None) == {"reduction_value": ["Must be a number."]}


@pytest.mark.parametrize("days", [0, -7, 1.5, True, None])
def test_it_rejects_a_step_length_under_one_whole_day(days):
    assert errors_for(step_days=days) == {
        "step_days": ["Must be a whole number of days, at least 1."]
    }


@pytest.mark.parametrize("doses", [0, -1, 2.0, False])
def test_it_rejects_doses_per_day_under_one(doses):
    assert errors_for(doses_per_day=doses) == {
        "doses_per_day": ["Must be a whole number, at least 1."]
    }


@pytest.mark.parametrize("increment", [D(0), D("-0.5"), 0.5])
def test_it_rejects_a_rounding_increment_that_is_not_positive(increment):
    assert errors_for(rounding_increment=increment) == {
        "rounding_increment": ["Must be a number greater than 0."]
    }


def test_it_rejects_a_negative_minimum_step():
    assert errors_for(min_step=D(-1)) == {"min_step": ["Must be a number, 0 or more."]}


def test_it_rejects_a_minimum_step_larger_than_the_fixed_reduction():
    assert errors_for(reduction_mode="fixed", reduction_value=D(3), min_step=D("4.5")) == {
        "min_step": ["Must not be larger than the fixed reduction per step."]
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [("unit", "kg"), ("product_form", "tea"), ("reduction_mode", "halve")],
)
def test_it_rejects_unknown_choices(field, value):
    assert list(errors_for(**{field: value})) == [field]


@pytest.mark.parametrize("value", [datetime(2025, 1, 6, 9, 0), "2025-01-06", None])
def test_it_rejects_a_start_date_that_is_not_a_plain_date(value):
    assert errors_for(start_date=value) == {"start_date": ["Must be a date."]}


def test_it_rejects_a_start_amount_that_does_not_split_into_equal_rounded_doses():
    # 25 g in 3 doses is 8.33 g a dose: not a multiple of 0.5 g.
    assert errors_for(start_amount=D(25)) == {
        "start_amount": [
            "Must split into 3 equal doses that are whole multiples of 0.5 g: "
            "the nearest valid amounts are 24 and 25.5 g."
        ]
    }


def test_it_rejects_a_floor_that_does_not_split_into_equal_rounded_doses():
    assert errors_for(floor=D(1)) == {
        "floor": [
            "Must split into 3 equal doses that are whole multiples of 0.5 g: "
            "the nearest valid amounts are 0 and 1.5 g."
        ]
    }


def test_it_rejects_a_schedule_longer_than_the_maximum_step_count():
    # 0.5 % of 30 g is far below one 1.5 g grid unit, so each step is one unit: 21 steps.
    params = make_params(reduction_value=D("0.5"))
    assert len(generate_taper(params, max_steps=21)) == 21
    with pytest.raises(TaperError) as exc_info:
        generate_taper(params, max_steps=20)
    assert list(exc_info.value.errors) == ["reduction_value"]
    assert "more than 20 steps" in exc_info.value.errors["reduction_value"][0]


def test_it_stops_at_the_default_maximum_instead_of_looping_on_a_huge_start():
    params = make_params(
        start_amount=D(10) ** 12, reduction_value=D("0.01"), doses_per_day=1, step_days=1
    )
    with pytest.raises(TaperError) as exc_info:
        generate_taper(params)
    assert f"more than {DEFAULT_MAX_STEPS} steps" in exc_info.value.errors["reduction_value"][0]


@pytest.mark.parametrize("max_steps", [1, 0, MAX_STEPS_LIMIT + 1, 2.5])
def test_it_rejects_a_maximum_step_count_out_of_bounds(max_steps):
    with pytest.raises(TaperError) as exc_info:
        generate_taper(make_params(), max_steps=max_steps)
    assert list(exc_info.value.errors) == ["max_steps"]


def test_it_rejects_a_schedule_that_runs_past_the_last_storable_date():
    assert errors_for(start_date=date.max - timedelta(days=30)) == {
        "start_date": ["The schedule would run past the last date the system can store."]
    }


def test_it_reports_every_invalid_field_at_once():
    errors = errors_for(
        start_amount=D(0),
        reduction_value=D(100),
        step_days=0,
        doses_per_day=0,
        rounding_increment=D(0),
        unit="oz",
    )
    assert set(errors) == {
        "start_amount",
        "reduction_value",
        "step_days",
        "doses_per_day",
        "rounding_increment",
        "unit",
    }
    assert all(isinstance(m, str) for msgs in errors.values() for m in msgs)


def test_it_exposes_validation_on_its_own_and_as_a_value_error():
    validate_taper_params(make_params())
    with pytest.raises(ValueError, match="start_amount"):
        validate_taper_params(make_params(start_amount=D(0)))


# --- properties ------------------------------------------------------------------------------

INCREMENTS = [D("0.1"), D("0.25"), D("0.5"), D(1), D(2), D(5)]


@st.composite
def taper_params(draw) -> TaperParams:
    increment = draw(st.sampled_from(INCREMENTS))
    doses = draw(st.integers(1, 6))
    grid = increment * doses
    start_units = draw(st.integers(1, 300))
    floor_units = draw(st.integers(0, start_units - 1))
    mode = draw(st.sampled_from(["percent", "fixed"]))
    if mode == "percent":
        value = draw(st.decimals(min_value=D("0.1"), max_value=D("99.9"), places=1))
        min_step = draw(st.decimals(min_value=0, max_value=grid * 6, places=2))
    else:
        value = draw(st.decimals(min_value=D("0.01"), max_value=grid * 20, places=2))
        min_step = draw(st.decimals(min_value=0, max_value=value, places=2))
    return TaperParams(
        start_amount=grid * start_units,
        unit=draw(st.sampled_from(["g", "mg", "count"])),
        product_form=draw(
            st.sampled_from(["leaf_powder", "capsules", "extract_liquid", "seven_oh", "other"])
        ),
        reduction_mode=mode,
        reduction_value=value,
        start_date=draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1))),
        step_days=draw(st.integers(1, 60)),
        min_step=min_step,
        floor=grid * floor_units,
        doses_per_day=doses,
        rounding_increment=increment,
    )


@settings(max_examples=150, deadline=None)
@given(taper_params())
def test_it_never_increases_never_goes_negative_and_lands_exactly_on_the_floor(params):
    steps = generate_taper(params, max_steps=MAX_STEPS_LIMIT)
    daily = amounts(steps)
    assert daily[0] == params.start_amount
    assert daily[-1] == params.floor
    assert all(a >= params.floor >= 0 for a in daily)
    assert all(later < earlier for earlier, later in pairwise(daily))


@settings(max_examples=150, deadline=None)
@given(taper_params())
def test_it_respects_the_minimum_step_and_the_rounding_increment(params):
    steps = generate_taper(params, max_steps=MAX_STEPS_LIMIT)
    grid = params.rounding_increment * params.doses_per_day
    for step in steps:
        assert step.per_dose_amount % params.rounding_increment == 0
        assert step.daily_amount == step.per_dose_amount * params.doses_per_day
        assert step.unit == params.unit
    for earlier, later in pairwise(steps[:-1]):  # all but onto the floor
        assert earlier.daily_amount - later.daily_amount >= max(params.min_step, grid)


@settings(max_examples=150, deadline=None)
@given(taper_params())
def test_it_follows_the_requested_reduction_to_within_rounding(params):
    """Each step is the nearest grid amount to the request, unless the stall or minimum-step
    rule took more off; never gentler than the request beyond half a grid unit."""
    steps = generate_taper(params, max_steps=MAX_STEPS_LIMIT)
    grid = Fraction(params.rounding_increment * params.doses_per_day)
    min_units = max(1, math.ceil(Fraction(params.min_step) / grid))
    for earlier, later in pairwise(steps[:-1]):
        current = Fraction(earlier.daily_amount)
        requested = (
            current * Fraction(params.reduction_value) / 100
            if params.reduction_mode == "percent"
            else Fraction(params.reduction_value)
        )
        target = current - max(requested, Fraction(params.min_step))
        new = Fraction(later.daily_amount)
        assert new <= target + grid / 2
        assert new >= min(target - grid / 2, current - min_units * grid)


@settings(max_examples=150, deadline=None)
@given(taper_params())
def test_it_lays_steps_end_to_end_with_no_gap_or_overlap(params):
    steps = generate_taper(params, max_steps=MAX_STEPS_LIMIT)
    assert steps[0].start_date == params.start_date
    assert [s.number for s in steps] == list(range(1, len(steps) + 1))
    for step in steps:
        assert (step.end_date - step.start_date).days + 1 == params.step_days
    for earlier, later in pairwise(steps):
        assert later.start_date == earlier.end_date + timedelta(days=1)


@settings(max_examples=150, deadline=None)
@given(taper_params(), st.integers(2, 40))
def test_it_either_fits_the_step_limit_or_refuses(params, max_steps):
    try:
        steps = generate_taper(params, max_steps=max_steps)
    except TaperError as exc:
        assert list(exc.errors) == ["reduction_value"]
        assert len(generate_taper(params, max_steps=MAX_STEPS_LIMIT)) > max_steps
    else:
        assert len(steps) <= max_steps
        assert steps == generate_taper(params, max_steps=MAX_STEPS_LIMIT)


@settings(max_examples=150, deadline=None)
@given(taper_params())
def test_it_is_deterministic(params):
    assert generate_taper(params, max_steps=MAX_STEPS_LIMIT) == generate_taper(
        replace(params), max_steps=MAX_STEPS_LIMIT
    )
