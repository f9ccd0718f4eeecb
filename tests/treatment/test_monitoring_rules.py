"""Clinical threshold rules (reference section 5): every edge, both sides."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from treatment.monitoring_rules import (
    DEFAULT_THRESHOLDS,
    LabsError,
    LiverLabs,
    RuleInputError,
    Thresholds,
    Vitals,
    hys_law,
    liver_alerts,
    liver_pattern,
    r_ratio,
    vital_alerts,
    withdrawal_alerts,
)

D = Decimal
ULN = {"alt_uln": D(40), "ast_uln": D(40), "alp_uln": D(120), "bilirubin_uln": D("1.2")}


def codes(alerts) -> list[str]:
    return [a["code"] for a in alerts]


def labs(**values) -> LiverLabs:
    return LiverLabs(**{**ULN, **values})


# --- blood pressure --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("systolic", "diastolic", "alerted"),
    [(179, 100, False), (180, 100, True), (150, 119, False), (150, 120, True), (200, 130, True)],
)
def test_it_flags_hypertensive_urgency_from_180_systolic_or_120_diastolic(
    systolic, diastolic, alerted
):
    alerts = vital_alerts(Vitals(systolic=systolic, diastolic=diastolic))
    assert ("hypertensive_urgency" in codes(alerts)) is alerted
    if alerted:
        assert codes(alerts) == ["hypertensive_urgency"]  # one alert even when both are high
        assert alerts[0]["severity"] == "critical"


@pytest.mark.parametrize(("systolic", "alerted"), [(91, False), (90, True)])
def test_it_flags_hypotension_at_the_clinic_policy_threshold(systolic, alerted):
    assert ("hypotension" in codes(vital_alerts(Vitals(systolic=systolic, diastolic=60)))) is (
        alerted
    )


# --- policy vitals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vitals", "code", "alerted"),
    [
        (Vitals(heart_rate=130), "tachycardia", False),
        (Vitals(heart_rate=131), "tachycardia", True),
        (Vitals(heart_rate=41), "bradycardia", False),
        (Vitals(heart_rate=40), "bradycardia", True),
        (Vitals(temperature_c=D("39.09")), "fever", False),
        (Vitals(temperature_c=D("39.1")), "fever", True),
        (Vitals(temperature_c=D("35.01")), "hypothermia", False),
        (Vitals(temperature_c=D("35.0")), "hypothermia", True),
        (Vitals(spo2=92), "low_spo2", False),
        (Vitals(spo2=91), "low_spo2", True),
        (Vitals(respiratory_rate=9), "low_respiratory_rate", False),
        (Vitals(respiratory_rate=8), "low_respiratory_rate", True),
        (Vitals(respiratory_rate=24), "high_respiratory_rate", False),
        (Vitals(respiratory_rate=25), "high_respiratory_rate", True),
    ],
)
def test_it_applies_clinic_policy_vital_thresholds_inclusively(vitals, code, alerted):
    assert (code in codes(vital_alerts(vitals))) is alerted


def test_it_raises_no_alert_for_normal_vitals():
    vitals = Vitals(
        systolic=120,
        diastolic=80,
        heart_rate=72,
        temperature_c=D("36.8"),
        respiratory_rate=14,
        spo2=98,
        weight_kg=D("80.5"),
    )
    assert vital_alerts(vitals) == []
    assert vital_alerts(Vitals()) == []


def test_it_lets_a_clinic_switch_off_or_move_a_policy_threshold():
    off = Thresholds(heart_rate_high_at_or_above=None)
    assert vital_alerts(Vitals(heart_rate=180), off) == []
    stricter = Thresholds(heart_rate_high_at_or_above=110)
    assert codes(vital_alerts(Vitals(heart_rate=110), stricter)) == ["tachycardia"]


def test_it_lists_critical_alerts_first():
    alerts = vital_alerts(Vitals(systolic=185, diastolic=100, heart_rate=140, spo2=90))
    assert alerts[0]["code"] == "hypertensive_urgency"
    assert {a["severity"] for a in alerts[1:]} == {"high"}


def test_it_keeps_measured_values_out_of_alert_text():
    alerts = vital_alerts(
        Vitals(systolic=187, diastolic=123, heart_rate=143, temperature_c=D("39.7"), spo2=87)
    ) + liver_alerts(LiverLabs(alt=D(517), alt_uln=D(41), bilirubin=D("4.9"), bilirubin_uln=1))
    assert alerts
    for alert in alerts:
        assert set(alert) == {"code", "severity", "text"}
        assert alert["severity"] in {"critical", "high", "medium", "low"}
        for value in ("187", "123", "143", "39.7", "87", "517", "41", "4.9"):
            assert value not in alert["text"]


# --- R ratio and pattern ---------------------------------------------------------------------


def test_it_computes_the_r_ratio_from_multiples_of_each_uln():
    assert r_ratio(D(200), D(40), D(240), D(120)) == D("2.5")


@pytest.mark.parametrize(
    ("r", "pattern"),
    [
        (D("5"), "hepatocellular"),
        (D("5.01"), "hepatocellular"),
        (D("4.99"), "mixed"),
        (D("2.01"), "mixed"),
        (D("2"), "cholestatic"),
        (D("1.99"), "cholestatic"),
        (D(0), "cholestatic"),
    ],
)
def test_it_classifies_the_liver_pattern_with_inclusive_2_and_5_edges(r, pattern):
    assert liver_pattern(r) == pattern


def test_it_keeps_an_exact_edge_exact_even_when_each_multiple_is_a_repeating_decimal():
    # ALT 35/21 = 1.666..x ULN and ALP 40/120 = 0.333..x ULN: R is exactly 5.
    r = r_ratio(D(35), D(21), D(40), D(120))
    assert r == 5
    assert liver_pattern(r) == "hepatocellular"
    # ALT 2/3 x ULN and ALP 1/3 x ULN: R is exactly 2.
    r = r_ratio(D(20), D(30), D(40), D(120))
    assert r == 2
    assert liver_pattern(r) == "cholestatic"


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ((D(100), D(40), D(0), D(120)), "alp"),
        ((D(100), D(0), D(100), D(120)), "alt_uln"),
        ((D(100), D(40), D(100), None), "alp_uln"),
        ((None, D(40), D(100), D(120)), "alt"),
        ((D(-1), D(40), D(100), D(120)), "alt"),
        ((D(100), D(40), 1.5, D(120)), "alp"),
    ],
)
def test_it_rejects_an_r_ratio_it_cannot_compute(args, field):
    with pytest.raises(LabsError) as exc_info:
        r_ratio(*args)
    assert field in exc_info.value.errors


@pytest.mark.parametrize("r", [D(-1), D("NaN"), None])
def test_it_rejects_an_impossible_r_ratio(r):
    with pytest.raises(LabsError):
        liver_pattern(r)


# --- Hy's law and liver alerts ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("alt", "ast", "bilirubin", "expected"),
    [
        (D(120), None, D("2.4"), True),  # ALT exactly 3x, bilirubin exactly 2x
        (D("119.9"), None, D("2.4"), False),
        (D(120), None, D("2.39"), False),
        (None, D(120), D("2.4"), True),  # AST alone can meet it
        (D(10), D(120), D("2.4"), True),
        (D(10), D(119), D("2.4"), False),
        (D(500), D(500), None, False),  # no bilirubin, no Hy's law
    ],
)
def test_it_applies_hys_law_at_exactly_3x_aminotransferase_and_2x_bilirubin(
    alt, ast, bilirubin, expected
):
    assert hys_law(alt, D(40), ast, D(40), bilirubin, D("1.2")) is expected


def test_it_raises_a_single_critical_alert_for_hys_law():
    alerts = liver_alerts(labs(alt=D(120), bilirubin=D("2.4")))
    assert codes(alerts) == ["hys_law"]
    assert alerts[0]["severity"] == "critical"


@pytest.mark.parametrize(("alt", "alerted"), [(D(120), True), (D("119.99"), False)])
def test_it_raises_a_liver_review_for_alt_at_3x_uln_alone(alt, alerted):
    alerts = liver_alerts(labs(alt=alt, bilirubin=D("1.0")))
    assert codes(alerts) == (["alt_3x_uln"] if alerted else [])
    if alerted:
        assert alerts[0]["severity"] == "high"


def test_it_does_not_raise_a_review_for_ast_alone_because_the_reference_names_alt():
    assert liver_alerts(labs(alt=D(30), ast=D(200), bilirubin=D(1))) == []


def test_it_raises_nothing_for_normal_or_missing_liver_tests():
    assert liver_alerts(labs(alt=D(30), ast=D(25), alp=D(90), bilirubin=D("0.8"))) == []
    assert liver_alerts(LiverLabs()) == []


def test_it_uses_configured_liver_multiples():
    strict = Thresholds(alt_review_uln_multiple=D(2))
    assert codes(liver_alerts(labs(alt=D(80)), strict)) == ["alt_3x_uln"]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"alt": D(100), "alt_uln": None}, "alt_uln"),
        ({"alt": D(100), "alt_uln": D(0)}, "alt_uln"),
        ({"bilirubin": D(-1)}, "bilirubin"),
        ({"ast": "high"}, "ast"),
        ({"alp": D(100), "alp_uln": D(-5)}, "alp_uln"),
    ],
)
def test_it_rejects_impossible_liver_results(values, field):
    with pytest.raises(LabsError) as exc_info:
        liver_alerts(labs(**values))
    assert field in exc_info.value.errors


@settings(max_examples=150, deadline=None)
@given(
    st.decimals(min_value=0, max_value=10_000, places=2),
    st.decimals(min_value=1, max_value=500, places=2),
    st.decimals(min_value=D("0.01"), max_value=10_000, places=2),
    st.decimals(min_value=1, max_value=500, places=2),
)
def test_it_classifies_every_r_ratio_into_exactly_the_reference_band(alt, alt_uln, alp, alp_uln):
    r = r_ratio(alt, alt_uln, alp, alp_uln)
    exact = (alt * alp_uln) / (alt_uln * alp)  # compare against the cross-multiplied form
    pattern = liver_pattern(r)
    if alt * alp_uln >= 5 * alt_uln * alp:
        assert pattern == "hepatocellular"
    elif alt * alp_uln <= 2 * alt_uln * alp:
        assert pattern == "cholestatic"
    else:
        assert pattern == "mixed"
    assert abs(r - exact) < D("1e-20")


# --- withdrawal ------------------------------------------------------------------------------


@pytest.mark.parametrize(("total", "alerted"), [(24, False), (25, True), (48, True), (0, False)])
def test_it_calls_for_medical_review_from_cows_25(total, alerted):
    alerts = withdrawal_alerts(total)
    assert codes(alerts) == (["cows_medical_review"] if alerted else [])


@pytest.mark.parametrize("total", [-1, 49, 25.0, True, None])
def test_it_rejects_a_cows_total_outside_0_to_48(total):
    with pytest.raises(RuleInputError) as exc_info:
        withdrawal_alerts(total)
    assert list(exc_info.value.errors) == ["cows_total"]


# --- thresholds ------------------------------------------------------------------------------


def test_it_ships_the_reference_defaults():
    t = DEFAULT_THRESHOLDS
    assert (t.systolic_urgency_at_or_above, t.diastolic_urgency_at_or_above) == (180, 120)
    assert t.hys_law_aminotransferase_uln_multiple == 3
    assert t.hys_law_bilirubin_uln_multiple == 2
    assert t.alt_review_uln_multiple == 3
    assert t.cows_medical_review_at_or_above == 25


@pytest.mark.parametrize(
    "overrides",
    [
        {"systolic_urgency_at_or_above": None},
        {"cows_medical_review_at_or_above": 0},
        {"alt_review_uln_multiple": D(-3)},
        {"heart_rate_high_at_or_above": 130.5},
        {"spo2_low_at_or_below": True},
    ],
)
def test_it_refuses_a_threshold_that_would_silently_hide_alerts(overrides):
    with pytest.raises(ValueError):
        Thresholds(**overrides)
