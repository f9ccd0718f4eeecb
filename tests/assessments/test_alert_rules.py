"""Behaviour of the rule-based clinical alerts at every threshold edge."""

from decimal import Decimal

import pytest

from assessments.alert_rules import (
    ALERT_RULES,
    AlertThresholds,
    describe_rules,
    evaluate_alerts,
    evaluate_blood_pressure,
    evaluate_cssrs,
    evaluate_liver_tests,
    normalize_instrument_code,
)


def result(total=None, *, answers=None, flags=()):
    return {
        "total": total,
        "band": "any",
        "subscales": {},
        "flags": [{"code": code, "text": "library text"} for code in flags],
        "answers": answers or {},
    }


def codes(alerts):
    return [a.code for a in alerts]


# Total thresholds: one below the edge, then the edge


@pytest.mark.parametrize(
    ("instrument", "below", "edge", "code", "kind"),
    [
        ("COWS", 24, 25, "cows_medical_review", "withdrawal"),
        ("SOWS", 20, 21, "sows_medical_review", "withdrawal"),
        ("PHQ-9", 19, 20, "phq9_severe", "mood"),
        ("PHQ-2", 2, 3, "phq2_positive", "mood"),
        ("GAD-7", 14, 15, "gad7_severe", "anxiety"),
        ("DAST-10", 2, 3, "dast10_further_assessment", "substance_use"),
        ("AUDIT", 7, 8, "audit_positive", "alcohol"),
    ],
)
def test_it_alerts_from_the_threshold_edge_up(instrument, below, edge, code, kind):
    assert evaluate_alerts(instrument, result(below)) == []
    alerts = evaluate_alerts(instrument, result(edge))
    assert codes(alerts) == [code]
    assert alerts[0].kind == kind
    assert alerts[0].requires_clinician_ack is False


def test_it_marks_cows_medical_review_high():
    (alert,) = evaluate_alerts("COWS", result(48))
    assert alert.severity == "high"
    assert "medical review" in alert.text


@pytest.mark.parametrize(
    ("sex", "below", "edge"),
    [("male", 3, 4), ("female", 2, 3), (None, 2, 3)],
)
def test_it_applies_the_audit_c_threshold_for_the_recorded_sex(sex, below, edge):
    assert evaluate_alerts("AUDIT-C", result(below), sex=sex) == []
    (alert,) = evaluate_alerts("AUDIT-C", result(edge), sex=sex)
    assert alert.code == "audit_c_positive"
    assert alert.kind == "alcohol"
    assert ("sex not recorded" in alert.text) is (sex is None)


def test_it_reads_the_audit_c_total_rather_than_the_library_flag():
    male_three = result(3, flags=["audit_c_positive"])
    assert evaluate_alerts("AUDIT-C", male_three, sex="male") == []


def test_it_rejects_an_unknown_sex():
    with pytest.raises(ValueError):
        evaluate_alerts("AUDIT-C", result(5), sex="unknown")


# PHQ-9 item 9


@pytest.mark.parametrize("key", [9, "9", "item9", "item_9", "q9"])
def test_it_raises_a_suicide_risk_alert_when_phq9_item9_is_above_0(key):
    (alert,) = evaluate_alerts("PHQ-9", result(5, answers={key: 1}))
    assert alert.code == "phq9_item9_suicide_risk"
    assert alert.kind == "suicide_risk"
    assert alert.requires_clinician_ack is True


def test_it_raises_no_suicide_risk_alert_when_phq9_item9_is_0():
    assert evaluate_alerts("PHQ-9", result(5, answers={"9": 0})) == []


def test_it_lets_the_answer_decide_over_the_flag_when_the_answer_is_readable():
    assert evaluate_alerts("PHQ-9", result(5, answers={"9": 0}, flags=["suicide_risk"])) == []


def test_it_falls_back_to_the_suicide_flag_when_item9_cannot_be_read():
    alerts = evaluate_alerts(
        "PHQ-9", result(5, answers={"self_harm": "yes"}, flags=["suicide_risk"])
    )
    assert codes(alerts) == ["phq9_item9_suicide_risk"]


def test_it_raises_nothing_without_item9_or_flag():
    assert evaluate_alerts("PHQ-9", result(5)) == []


def test_it_honours_a_configured_item9_threshold():
    strict = AlertThresholds(phq9_item9_min=2)
    assert evaluate_alerts("PHQ-9", result(5, answers={"9": 1}), strict) == []
    assert codes(evaluate_alerts("PHQ-9", result(5, answers={"9": 2}), strict)) == [
        "phq9_item9_suicide_risk"
    ]


def test_it_orders_alerts_most_severe_first():
    alerts = evaluate_alerts("PHQ-9", result(20, answers={"9": 3}))
    assert codes(alerts) == ["phq9_item9_suicide_risk", "phq9_severe"]


# ASQ and C-SSRS


def test_it_raises_nothing_for_a_negative_asq():
    assert evaluate_alerts("ASQ", result(flags=[])) == []


def test_it_raises_a_high_acknowledged_alert_for_a_non_acute_asq_positive():
    (alert,) = evaluate_alerts("ASQ", result(flags=["asq_positive"]))
    assert (alert.code, alert.kind, alert.severity) == ("asq_positive", "suicide_risk", "high")
    assert alert.requires_clinician_ack is True


def test_it_raises_only_the_critical_alert_for_an_acute_asq_positive():
    (alert,) = evaluate_alerts("ASQ", result(flags=["asq_positive", "asq_acute"]))
    assert (alert.code, alert.severity) == ("asq_acute_positive", "critical")
    assert alert.requires_clinician_ack is True


def test_it_raises_a_critical_alert_for_a_recorded_high_cssrs_level():
    (alert,) = evaluate_cssrs("high")
    assert (alert.kind, alert.severity, alert.requires_clinician_ack) == (
        "suicide_risk",
        "critical",
        True,
    )


@pytest.mark.parametrize("level", ["low", "moderate"])
def test_it_raises_nothing_below_high_cssrs_by_default(level):
    assert evaluate_cssrs(level) == []


def test_it_alerts_for_moderate_cssrs_when_the_clinic_configures_it():
    (alert,) = evaluate_cssrs("moderate", AlertThresholds(cssrs_alert_levels=("moderate", "high")))
    assert (alert.severity, alert.requires_clinician_ack) == ("high", True)


def test_it_rejects_an_unknown_cssrs_level():
    with pytest.raises(ValueError):
        evaluate_cssrs("severe")


def test_it_requires_acknowledgement_for_every_suicide_risk_rule():
    suicide_rules = [r for r in ALERT_RULES if r.kind == "suicide_risk"]
    assert suicide_rules
    assert all(r.requires_clinician_ack for r in suicide_rules)
    assert all(not r.requires_clinician_ack for r in ALERT_RULES if r.kind != "suicide_risk")


# Configuration, input handling, privacy


def test_it_honours_a_configured_cows_threshold():
    lower = AlertThresholds(cows_medical_review_min=13)
    assert evaluate_alerts("cows", result(12), lower) == []
    (alert,) = evaluate_alerts("cows", result(13), lower)
    assert "13 or more" in alert.text


@pytest.mark.parametrize(
    "kwargs",
    [
        {"cows_medical_review_min": 0},
        {"cows_medical_review_min": 49},
        {"phq9_item9_min": 0},
        {"gad7_severe_min": 22},
        {"audit_c_positive_min_male": True},
        {"cssrs_alert_levels": ()},
        {"cssrs_alert_levels": ("extreme",)},
        {"bilirubin_uln_multiple": Decimal(0)},
        {"aminotransferase_uln_multiple": 3.0},
    ],
)
def test_it_rejects_impossible_thresholds(kwargs):
    with pytest.raises(ValueError):
        AlertThresholds(**kwargs)


def test_it_keeps_the_reference_defaults():
    t = AlertThresholds()
    assert (t.cows_medical_review_min, t.phq9_item9_min, t.cssrs_alert_levels) == (25, 1, ("high",))
    assert (t.phq9_severe_min, t.gad7_severe_min, t.dast10_further_assessment_min) == (20, 15, 3)
    assert (t.systolic_urgency_min, t.diastolic_urgency_min) == (180, 120)
    assert (t.aminotransferase_uln_multiple, t.bilirubin_uln_multiple) == (3, 2)


def test_it_puts_no_patient_values_in_alert_text():
    alerts = evaluate_alerts("COWS", result(37, answers={"1": 4}))
    assert alerts and all("37" not in a.text for a in alerts)
    alerts = evaluate_alerts("PHQ-9", result(23, answers={"9": 3}))
    assert alerts and all("23" not in a.text and "3 or more" not in a.text for a in alerts)


@pytest.mark.parametrize("code", ["PHQ-9", "phq_9", "phq9", "Phq 9"])
def test_it_normalises_instrument_codes(code):
    assert normalize_instrument_code(code) == "phq9"
    assert codes(evaluate_alerts(code, result(20))) == ["phq9_severe"]


def test_it_raises_nothing_for_an_instrument_without_rules():
    assert evaluate_alerts("PEG", result(9)) == []


@pytest.mark.parametrize("total", [None, "25", True])
def test_it_refuses_a_result_without_a_numeric_total(total):
    with pytest.raises(ValueError):
        evaluate_alerts("COWS", result(total))


def test_it_describes_rules_with_current_thresholds():
    rows = {row["code"]: row for row in describe_rules()}
    assert rows["cows_medical_review"]["threshold_value"] == 25
    assert rows["audit_c_positive"]["threshold_value"] == {"male": 4, "female": 3, "unknown": 3}
    assert "threshold_value" not in rows["asq_positive"]


# Blood pressure and liver (reference section 5)


@pytest.mark.parametrize(
    ("systolic", "diastolic", "fires"),
    [(179, 119, False), (180, 90, True), (150, 120, True), (179, 120, True)],
)
def test_it_alerts_for_hypertensive_urgency_at_the_edges(systolic, diastolic, fires):
    alerts = evaluate_blood_pressure(systolic, diastolic)
    assert codes(alerts) == (["hypertensive_urgency"] if fires else [])


@pytest.mark.parametrize("values", [(0, 80), (180, -1), (180.5, 90), (True, 90)])
def test_it_refuses_impossible_blood_pressure(values):
    with pytest.raises(ValueError):
        evaluate_blood_pressure(*values)


@pytest.mark.parametrize(
    ("alt", "ast", "bili", "expected"),
    [
        (Decimal("2.9"), None, None, []),
        (3, None, None, ["alt_liver_review"]),
        (None, 3, None, []),
        (3, None, Decimal("1.9"), ["alt_liver_review"]),
        (3, None, 2, ["hys_law_pattern"]),
        (None, 3, 2, ["hys_law_pattern"]),
        (Decimal("2.9"), Decimal("2.9"), 5, []),
    ],
)
def test_it_alerts_for_liver_tests_at_the_edges(alt, ast, bili, expected):
    alerts = evaluate_liver_tests(alt_x_uln=alt, ast_x_uln=ast, bilirubin_x_uln=bili)
    assert codes(alerts) == expected
    if expected == ["hys_law_pattern"]:
        assert alerts[0].severity == "critical"


def test_it_refuses_float_liver_values():
    with pytest.raises(ValueError):
        evaluate_liver_tests(alt_x_uln=3.0)
