"""Behaviour of the intake recommendation rules: each rule firing and not firing."""

import pytest

from assessments.recommendations import (
    INTERVENTION_TYPES,
    RULES,
    FindingsError,
    IntakeFindings,
    RecommendationSettings,
    fired_rules,
    recommend,
)


def fired(findings, settings=None):
    args = (findings,) if settings is None else (findings, settings)
    return {rule.id for rule in fired_rules(*args)}


def types(findings):
    return [r.intervention_type for r in recommend(findings)]


F = IntakeFindings


@pytest.mark.parametrize(
    ("rule_id", "fires", "does_not_fire"),
    [
        (
            "taper_with_monitoring",
            [F("moderate", daily_use=True), F("severe", daily_use=True, pregnancy=False)],
            [
                F("mild", daily_use=True),
                F("moderate", daily_use=False),
                F("severe", daily_use=True, pregnancy=True),
            ],
        ),
        (
            "mood_anxiety_cbt_and_psychiatric_review",
            [F("none", phq9_total=10), F("none", gad7_total=10), F("mild", phq9_total=27)],
            [F("none", phq9_total=9, gad7_total=9), F("none")],
        ),
        (
            "low_readiness_met_first",
            [F("mild", readiness=4), F("mild", readiness=0)],
            [F("mild", readiness=5), F("mild", readiness=None)],
        ),
        (
            "liver_baseline_labs",
            [F("none", liver_history=True)],
            [F("severe", liver_history=False)],
        ),
        (
            "opioid_or_7oh_medication_review",
            [F("none", seven_oh_use=True), F("mild", opioid_co_use=True)],
            [F("severe", daily_use=True)],
        ),
        (
            "suicide_risk_safety_first",
            [F("none", suicide_risk_open=True)],
            [F("severe", phq9_total=27)],
        ),
        (
            "alcohol_brief_intervention",
            [F("none", audit_c_positive=True)],
            [F("severe")],
        ),
        (
            "disorder_education_and_peer_support",
            [F("mild"), F("moderate"), F("severe")],
            [F("none", daily_use=True)],
        ),
        (
            "pregnancy_prescriber_review",
            [F("mild", pregnancy=True)],
            [F("mild", pregnancy=False), F("mild", pregnancy=None), F("none", pregnancy=True)],
        ),
    ],
)
def test_it_fires_each_rule_only_when_its_condition_holds(rule_id, fires, does_not_fire):
    for findings in fires:
        assert rule_id in fired(findings), findings
    for findings in does_not_fire:
        assert rule_id not in fired(findings), findings


def test_it_has_a_firing_case_for_every_rule():
    everything = F(
        "severe",
        daily_use=True,
        phq9_total=15,
        readiness=2,
        liver_history=True,
        seven_oh_use=True,
        suicide_risk_open=True,
        audit_c_positive=True,
    )
    pregnant = F("mild", pregnancy=True)
    assert fired(everything) | fired(pregnant) == {rule.id for rule in RULES}


def test_it_suggests_taper_and_monitoring_for_daily_moderate_use():
    assert types(F("moderate", daily_use=True)) == [
        "taper",
        "medical_monitoring",
        "peer_support",
        "psychoeducation",
    ]


def test_it_suggests_cbt_and_a_psychiatric_referral_for_mood_or_anxiety():
    assert types(F("none", gad7_total=12)) == ["cbt", "referral"]


def test_it_suggests_baseline_liver_labs_as_medical_monitoring():
    (rec,) = recommend(F("none", liver_history=True))
    assert rec.intervention_type == "medical_monitoring"
    assert "ALT" in rec.reasons[0].suggestion


def test_it_suggests_medication_treatment_for_7oh_or_opioid_use():
    assert types(F("none", seven_oh_use=True)) == ["medication_treatment"]
    assert types(F("none", opioid_co_use=True)) == ["medication_treatment"]


def test_it_suggests_an_alcohol_brief_intervention():
    (rec,) = recommend(F("none", audit_c_positive=True))
    assert rec.intervention_type == "individual_counseling"
    assert rec.reasons[0].rule_id == "alcohol_brief_intervention"


def test_it_puts_motivational_enhancement_before_cbt_when_readiness_is_low():
    order = types(F("mild", readiness=3, phq9_total=14))
    assert order.index("met") < order.index("cbt")


def test_it_honours_a_configured_readiness_threshold():
    assert "low_readiness_met_first" in fired(F("mild", readiness=6), RecommendationSettings(6))
    assert "low_readiness_met_first" not in fired(F("mild", readiness=6))


def test_it_puts_suicide_safety_first():
    recs = recommend(
        F("severe", daily_use=True, phq9_total=20, seven_oh_use=True, suicide_risk_open=True)
    )
    first = recs[0]
    assert first.priority == 0
    assert first.reasons[0].rule_id == "suicide_risk_safety_first"
    assert "safety plan" in first.reasons[0].suggestion


def test_it_replaces_the_taper_with_a_prescriber_review_in_pregnancy():
    recs = types(F("severe", daily_use=True, pregnancy=True))
    assert "taper" not in recs
    assert recs[:3] == ["medical_monitoring", "medication_treatment", "referral"]


def test_it_deduplicates_intervention_types_and_keeps_every_reason():
    recs = recommend(F("severe", daily_use=True, liver_history=True))
    kinds = [r.intervention_type for r in recs]
    assert len(kinds) == len(set(kinds))
    monitoring = next(r for r in recs if r.intervention_type == "medical_monitoring")
    assert [x.rule_id for x in monitoring.reasons] == [
        "taper_with_monitoring",
        "liver_baseline_labs",
    ]


def test_it_orders_recommendations_by_priority():
    recs = recommend(
        F(
            "severe",
            daily_use=True,
            phq9_total=15,
            readiness=2,
            liver_history=True,
            opioid_co_use=True,
            suicide_risk_open=True,
            audit_c_positive=True,
        )
    )
    keys = [(r.priority, INTERVENTION_TYPES.index(r.intervention_type)) for r in recs]
    assert keys == sorted(keys)


def test_it_suggests_nothing_when_nothing_was_found():
    assert recommend(F("none")) == []


def test_it_only_uses_the_plan_vocabulary():
    assert all(set(rule.intervention_types) <= set(INTERVENTION_TYPES) for rule in RULES)
    assert INTERVENTION_TYPES == (
        "cbt",
        "met",
        "individual_counseling",
        "group_counseling",
        "peer_support",
        "psychoeducation",
        "taper",
        "medical_monitoring",
        "healthy_activity",
        "medication_treatment",
        "referral",
    )


def test_it_describes_every_rule():
    for rule in RULES:
        assert rule.id and rule.condition and rule.suggestion and rule.rationale


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"use_disorder_severity": "extreme"}, "use_disorder_severity"),
        ({"phq9_total": 28}, "phq9_total"),
        ({"phq9_total": -1}, "phq9_total"),
        ({"gad7_total": 22}, "gad7_total"),
        ({"readiness": 11}, "readiness"),
        ({"readiness": 4.5}, "readiness"),
        ({"daily_use": "yes"}, "daily_use"),
        ({"pregnancy": "unknown"}, "pregnancy"),
    ],
)
def test_it_rejects_invalid_findings_with_a_field_keyed_error(kwargs, field):
    args = {"use_disorder_severity": "mild", **kwargs}
    with pytest.raises(FindingsError) as exc:
        IntakeFindings(**args)
    assert set(exc.value.errors) == {field}
