"""Working with a schedule in use: re-planning, the step in force on a day, and adherence."""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from treatment.taper import (
    MAX_STEPS_LIMIT,
    TaperError,
    TaperParams,
    adherence,
    generate_taper,
    replan_from,
    step_on,
)

D = Decimal
START = date(2025, 1, 6)


def make_params(**overrides) -> TaperParams:
    base = {
        "start_amount": D(30),
        "unit": "g",
        "product_form": "leaf_powder",
        "reduction_mode": "percent",
        "reduction_value": D(10),
        "start_date": START,
        "step_days": 7,
        "doses_per_day": 3,
        "rounding_increment": D("0.5"),
    }
    base.update(overrides)
    return TaperParams(**base)


@pytest.fixture
def schedule():
    # 30, 27, 24, 21, 19.5, ... 0 g/day in 7-day steps from 6 January 2025.
    return generate_taper(make_params())


# --- re-planning -----------------------------------------------------------------------------


def test_it_keeps_earlier_steps_and_regenerates_from_the_current_one(schedule):
    new = replan_from(
        schedule,
        4,
        make_params(start_amount=D(21), reduction_mode="fixed", reduction_value=D(3)),
    )
    assert new[:3] == schedule[:3]
    assert [s.daily_amount for s in new[3:]] == [D(x) for x in (21, 18, 15, 12, 9, 6, 3, 0)]
    assert new[3].start_date == schedule[3].start_date
    assert [s.number for s in new] == list(range(1, len(new) + 1))


def test_it_starts_the_new_part_on_the_current_step_whatever_start_date_is_given(schedule):
    new = replan_from(schedule, 3, make_params(start_amount=D(24), start_date=date(2030, 1, 1)))
    assert new[2].start_date == schedule[2].start_date
    assert new[1].end_date + timedelta(days=1) == new[2].start_date


def test_it_lets_the_clinician_hold_by_restarting_the_current_step_with_longer_steps(schedule):
    # Withdrawal at step 5 (19.5 g): keep 19.5 g and slow down to 14-day steps.
    new = replan_from(schedule, 5, make_params(start_amount=D("19.5"), step_days=14))
    assert new[4].daily_amount == D("19.5")
    assert (new[4].end_date - new[4].start_date).days + 1 == 14
    assert new[:4] == schedule[:4]


def test_it_lets_the_clinician_step_back_up_without_touching_history(schedule):
    new = replan_from(schedule, 5, make_params(start_amount=D(24)))
    assert new[:4] == schedule[:4]
    assert new[4].daily_amount == D(24)  # higher than step 4 (21): allowed, it is a decision


def test_it_regenerates_the_whole_schedule_when_re_planning_from_step_one(schedule):
    params = make_params(reduction_value=D(20))
    assert replan_from(schedule, 1, params) == generate_taper(params)


@pytest.mark.parametrize("number", [0, 19, -1, True, "2"])
def test_it_rejects_a_current_step_that_is_not_in_the_schedule(schedule, number):
    with pytest.raises(TaperError) as exc_info:
        replan_from(schedule, number, make_params())
    assert exc_info.value.errors == {
        "current_step_number": ["Must be a step of this schedule (1 to 18)."]
    }


def test_it_rejects_a_change_of_unit_mid_taper(schedule):
    with pytest.raises(TaperError) as exc_info:
        replan_from(schedule, 3, make_params(unit="mg"))
    assert exc_info.value.errors == {"unit": ["Must stay g; a different unit needs a new taper."]}


def test_it_validates_the_new_parameters(schedule):
    with pytest.raises(TaperError) as exc_info:
        replan_from(schedule, 3, make_params(reduction_value=D(0), start_amount=D(25)))
    assert set(exc_info.value.errors) == {"reduction_value", "start_amount"}


def test_it_counts_kept_steps_towards_the_maximum_step_count(schedule):
    # Keeping 10 steps leaves room for 5 more; 21 g to 0 in 1.5 g steps needs 15.
    params = make_params(start_amount=D(21), reduction_mode="fixed", reduction_value=D("1.5"))
    with pytest.raises(TaperError) as exc_info:
        replan_from(schedule, 11, params, max_steps=15)
    assert "more than 15 steps" in exc_info.value.errors["reduction_value"][0]
    assert len(replan_from(schedule, 11, params, max_steps=25)) == 25


def test_it_refuses_a_schedule_with_gaps_or_misnumbered_steps(schedule):
    gap = [*schedule[:2], replace(schedule[2], start_date=schedule[2].start_date + timedelta(1))]
    misnumbered = [schedule[0], replace(schedule[1], number=3)]
    for broken in (gap, misnumbered, []):
        with pytest.raises(TaperError) as exc_info:
            replan_from(broken, 1, make_params())
        assert list(exc_info.value.errors) == ["steps"]


@st.composite
def plan_and_replan(draw):
    increment = draw(st.sampled_from([D("0.25"), D("0.5"), D(1)]))
    doses = draw(st.integers(1, 4))
    grid = increment * doses

    def params(start_date=START):
        units = draw(st.integers(2, 120))
        mode = draw(st.sampled_from(["percent", "fixed"]))
        value = (
            draw(st.decimals(min_value=D(1), max_value=D(50), places=1))
            if mode == "percent"
            else draw(st.decimals(min_value=grid, max_value=grid * 10, places=2))
        )
        return TaperParams(
            start_amount=grid * units,
            unit="g",
            product_form="leaf_powder",
            reduction_mode=mode,
            reduction_value=value,
            start_date=start_date,
            step_days=draw(st.integers(1, 28)),
            floor=grid * draw(st.integers(0, units - 1)),
            doses_per_day=doses,
            rounding_increment=increment,
        )

    original = generate_taper(params(), max_steps=MAX_STEPS_LIMIT)
    current = draw(st.integers(1, len(original)))
    return original, current, params(start_date=date(1999, 1, 1))


@settings(max_examples=150, deadline=None)
@given(plan_and_replan())
def test_it_never_changes_steps_before_the_current_one(case):
    original, current, new_params = case
    snapshot = list(original)
    new = replan_from(original, current, new_params, max_steps=MAX_STEPS_LIMIT)
    assert original == snapshot  # the input is not mutated
    assert new[: current - 1] == original[: current - 1]
    assert new[current - 1].start_date == original[current - 1].start_date
    assert [s.number for s in new] == list(range(1, len(new) + 1))
    for earlier, later in pairwise(new):
        assert later.start_date == earlier.end_date + timedelta(days=1)
    fresh = generate_taper(
        replace(new_params, start_date=original[current - 1].start_date),
        max_steps=MAX_STEPS_LIMIT,
    )
    assert [s.daily_amount for s in new[current - 1 :]] == [s.daily_amount for s in fresh]


# --- the step in force on a day --------------------------------------------------------------


def test_it_finds_the_step_in_force_on_each_day_including_both_ends(schedule):
    assert step_on(schedule, START).number == 1
    assert step_on(schedule, START + timedelta(days=6)).number == 1
    assert step_on(schedule, START + timedelta(days=7)).number == 2
    assert step_on(schedule, schedule[-1].end_date).number == 18


def test_it_finds_no_step_before_the_start_or_after_the_end(schedule):
    assert step_on(schedule, START - timedelta(days=1)) is None
    assert step_on(schedule, schedule[-1].end_date + timedelta(days=1)) is None
    assert step_on([], START) is None


# --- adherence -------------------------------------------------------------------------------


def test_it_counts_days_at_exactly_the_plan_as_adherent(schedule):
    log = {START + timedelta(days=i): D(30) for i in range(7)}
    result = adherence(schedule, log, as_of=START + timedelta(days=6))
    assert result == {
        "unit": "g",
        "days_planned": 7,
        "days_logged": 7,
        "days_missing": 0,
        "days_at_or_under_plan": 7,
        "days_over_plan": 0,
        "mean_excess": None,
        "percent_adherent": D("100.0"),
        "entries_outside_plan": 0,
    }


def test_it_counts_missing_days_as_missing_not_adherent(schedule):
    log = {START: D(28), START + timedelta(days=1): D(30)}
    result = adherence(schedule, log, as_of=START + timedelta(days=3))
    assert result["days_planned"] == 4
    assert result["days_logged"] == 2
    assert result["days_missing"] == 2
    assert result["days_at_or_under_plan"] == 2
    assert result["percent_adherent"] == D("50.0")


def test_it_measures_days_over_plan_against_the_step_in_force(schedule):
    log = {
        START: D(33),  # step 1 plans 30: 3 over
        START + timedelta(days=7): D(28),  # step 2 plans 27: 1 over
        START + timedelta(days=8): D(27),  # exactly on plan
        START + timedelta(days=9): D(20),  # under plan
    }
    result = adherence(schedule, log, as_of=START + timedelta(days=9))
    assert result["days_planned"] == 10
    assert result["days_over_plan"] == 2
    assert result["mean_excess"] == D("2.00")
    assert result["days_at_or_under_plan"] == 2
    assert result["percent_adherent"] == D("20.0")


def test_it_evaluates_the_whole_schedule_by_default(schedule):
    result = adherence(schedule, {})
    assert result["days_planned"] == 18 * 7
    assert result["days_missing"] == 18 * 7
    assert result["percent_adherent"] == D("0.0")


def test_it_reports_no_percentage_before_the_schedule_starts(schedule):
    result = adherence(schedule, {START: D(30)}, as_of=START - timedelta(days=1))
    assert result["days_planned"] == 0
    assert result["percent_adherent"] is None
    assert result["entries_outside_plan"] == 1


def test_it_counts_log_entries_outside_the_evaluated_days(schedule):
    log = {START - timedelta(days=3): D(40), START: D(30), START + timedelta(days=30): D(1)}
    result = adherence(schedule, log, as_of=START + timedelta(days=2))
    assert result["days_logged"] == 1
    assert result["entries_outside_plan"] == 2


@pytest.mark.parametrize("amount", [D(-1), 1.5, None, D("NaN")])
def test_it_rejects_impossible_log_amounts(schedule, amount):
    with pytest.raises(TaperError) as exc_info:
        adherence(schedule, {START: amount})
    assert list(exc_info.value.errors) == ["dose_log"]
