"""Vital-sign plausibility and units: impossible input must become a field-keyed 400."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from treatment.monitoring_rules import Vitals, VitalsError, validate_vitals

D = Decimal


def errors_for(**kwargs) -> dict[str, list[str]]:
    with pytest.raises(VitalsError) as exc_info:
        validate_vitals(**kwargs)
    return exc_info.value.errors


def test_it_accepts_a_full_set_and_returns_canonical_units():
    vitals = validate_vitals(
        systolic=128,
        diastolic=84,
        heart_rate=D(76),
        temperature=D("98.6"),
        temperature_unit="F",
        respiratory_rate="16",
        spo2=97,
        weight=D(154),
        weight_unit="lb",
    )
    assert vitals == Vitals(
        systolic=128,
        diastolic=84,
        heart_rate=76,
        temperature_c=D("37.00"),
        respiratory_rate=16,
        spo2=97,
        weight_kg=D("69.85"),
    )


def test_it_accepts_a_partial_set():
    assert validate_vitals(heart_rate=88) == Vitals(heart_rate=88)


def test_it_rejects_an_empty_submission():
    assert errors_for() == {"non_field_errors": ["Enter at least one vital sign."]}


# --- blood pressure --------------------------------------------------------------------------


@pytest.mark.parametrize(("systolic", "ok"), [(49, False), (50, True), (300, True), (301, False)])
def test_it_checks_systolic_between_50_and_300(systolic, ok):
    kwargs = {"systolic": systolic, "diastolic": 40}
    if ok:
        assert validate_vitals(**kwargs).systolic == systolic
    else:
        assert errors_for(**kwargs) == {"systolic": ["Must be between 50 and 300 mmHg."]}


@pytest.mark.parametrize(("diastolic", "ok"), [(19, False), (20, True), (200, True), (201, False)])
def test_it_checks_diastolic_between_20_and_200(diastolic, ok):
    kwargs = {"systolic": 250, "diastolic": diastolic}
    if ok:
        assert validate_vitals(**kwargs).diastolic == diastolic
    else:
        assert errors_for(**kwargs) == {"diastolic": ["Must be between 20 and 200 mmHg."]}


@pytest.mark.parametrize(("systolic", "diastolic"), [(80, 80), (80, 120)])
def test_it_requires_systolic_above_diastolic(systolic, diastolic):
    assert errors_for(systolic=systolic, diastolic=diastolic) == {
        "diastolic": ["Must be lower than systolic."]
    }


def test_it_requires_both_blood_pressure_numbers():
    assert errors_for(systolic=120) == {
        "diastolic": ["Blood pressure needs both systolic and diastolic."]
    }
    assert errors_for(diastolic=80) == {
        "systolic": ["Blood pressure needs both systolic and diastolic."]
    }


# --- counts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "low", "high", "unit"),
    [
        ("heart_rate", 20, 250, "beats per minute"),
        ("respiratory_rate", 4, 80, "breaths per minute"),
        ("spo2", 50, 100, "%"),
    ],
)
def test_it_checks_each_count_range_inclusively(field, low, high, unit):
    assert getattr(validate_vitals(**{field: low}), field) == low
    assert getattr(validate_vitals(**{field: high}), field) == high
    message = {field: [f"Must be between {low} and {high} {unit}."]}
    assert errors_for(**{field: low - 1}) == message
    assert errors_for(**{field: high + 1}) == message


@pytest.mark.parametrize("value", ["fast", True, D("NaN"), D("Infinity"), [72]])
def test_it_rejects_a_heart_rate_that_is_not_a_number(value):
    assert errors_for(heart_rate=value) == {"heart_rate": ["Must be a number."]}


@pytest.mark.parametrize("field", ["systolic", "heart_rate", "respiratory_rate", "spo2"])
def test_it_requires_whole_numbers_for_counts(field):
    kwargs = {"systolic": 120, "diastolic": 80, field: D("95.5")}
    assert errors_for(**kwargs) == {field: ["Must be a whole number."]}


def test_it_accepts_whole_numbers_written_with_decimals():
    assert validate_vitals(heart_rate=D("72.0"), spo2=97.0).heart_rate == 72


# --- temperature -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "celsius"),
    [
        (D(30), "C", D("30.00")),
        (D(45), "C", D("45.00")),
        (D("37.2"), "c", D("37.20")),
        (D("37.2"), "°C", D("37.20")),
        (D(86), "F", D("30.00")),
        (D(113), "F", D("45.00")),
        (D("102.4"), "°F", D("39.11")),
        (D("102.3"), "f", D("39.06")),
    ],
)
def test_it_accepts_celsius_or_fahrenheit_and_stores_celsius(value, unit, celsius):
    assert validate_vitals(temperature=value, temperature_unit=unit).temperature_c == celsius


@pytest.mark.parametrize(
    ("value", "unit", "message"),
    [
        (D("29.9"), "C", "Must be between 30 and 45 °C."),
        (D("45.1"), "C", "Must be between 30 and 45 °C."),
        (D("85.9"), "F", "Must be between 86 and 113 °F."),
        (D("113.1"), "F", "Must be between 86 and 113 °F."),
        (D("98.6"), "C", "Must be between 30 and 45 °C."),  # Fahrenheit sent as Celsius
        (D(37), "F", "Must be between 86 and 113 °F."),  # Celsius sent as Fahrenheit
    ],
)
def test_it_rejects_an_impossible_temperature(value, unit, message):
    assert errors_for(temperature=value, temperature_unit=unit) == {"temperature": [message]}


def test_it_requires_a_known_temperature_unit():
    assert errors_for(temperature=D(37)) == {
        "temperature_unit": ["Required with a temperature: C or F."]
    }
    assert errors_for(temperature=D(37), temperature_unit="K") == {
        "temperature_unit": ["Must be C or F."]
    }


# --- weight ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "kg"),
    [
        (D(2), "kg", D("2.00")),
        (D(400), "kg", D("400.00")),
        (D("4.41"), "lb", D("2.00")),
        (D("881.84"), "lb", D("400.00")),
        (D(220), "LB", D("99.79")),
    ],
)
def test_it_accepts_kilograms_or_pounds_and_stores_kilograms(value, unit, kg):
    assert validate_vitals(weight=value, weight_unit=unit).weight_kg == kg


@pytest.mark.parametrize(
    ("value", "unit", "message"),
    [
        (D("1.99"), "kg", "Must be between 2 and 400 kg."),
        (D("400.01"), "kg", "Must be between 2 and 400 kg."),
        (D("4.40"), "lb", "Must be between 4.41 and 881.84 lb."),
        (D("881.85"), "lb", "Must be between 4.41 and 881.84 lb."),
        (D(0), "kg", "Must be between 2 and 400 kg."),
    ],
)
def test_it_rejects_an_impossible_weight(value, unit, message):
    assert errors_for(weight=value, weight_unit=unit) == {"weight": [message]}


def test_it_requires_a_known_weight_unit():
    assert errors_for(weight=D(80)) == {"weight_unit": ["Required with a weight: kg or lb."]}
    assert errors_for(weight=D(80), weight_unit="stone") == {"weight_unit": ["Must be kg or lb."]}


# --- together --------------------------------------------------------------------------------


def test_it_reports_every_bad_field_at_once_as_a_value_error():
    with pytest.raises(ValueError) as exc_info:
        validate_vitals(
            systolic=400, diastolic=80, heart_rate=0, temperature=D(50), temperature_unit="C"
        )
    assert isinstance(exc_info.value, VitalsError)
    assert set(exc_info.value.errors) == {"systolic", "heart_rate", "temperature"}
    assert all(
        isinstance(messages, list) and all(isinstance(m, str) for m in messages)
        for messages in exc_info.value.errors.values()
    )


@settings(max_examples=150, deadline=None)
@given(st.decimals(min_value=86, max_value=113, places=1))
def test_it_converts_every_valid_fahrenheit_into_the_celsius_range(fahrenheit):
    celsius = validate_vitals(temperature=fahrenheit, temperature_unit="F").temperature_c
    assert D(30) <= celsius <= D(45)
    assert abs(celsius - (fahrenheit - 32) * 5 / 9) <= D("0.005")


@settings(max_examples=150, deadline=None)
@given(st.decimals(min_value=0, max_value=1000, places=2))
def test_it_accepts_pounds_exactly_when_they_convert_into_the_kilogram_range(pounds):
    exact_kg = pounds * D("0.45359237")
    try:
        kg = validate_vitals(weight=pounds, weight_unit="lb").weight_kg
    except VitalsError as exc:
        assert list(exc.errors) == ["weight"]
        assert not D(2) <= exact_kg <= D(400)
    else:
        assert D(2) <= exact_kg <= D(400)
        assert D(2) <= kg <= D(400)


@settings(max_examples=150, deadline=None)
@given(st.integers(-50, 400), st.integers(-50, 300))
def test_it_never_accepts_a_blood_pressure_outside_the_plausible_ranges(systolic, diastolic):
    try:
        vitals = validate_vitals(systolic=systolic, diastolic=diastolic)
    except VitalsError as exc:
        assert set(exc.errors) <= {"systolic", "diastolic"}
    else:
        assert 50 <= vitals.systolic <= 300
        assert 20 <= vitals.diastolic <= 200
        assert vitals.systolic > vitals.diastolic
