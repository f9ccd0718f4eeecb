"""Service rules that need no HTTP: patient context, recorded C-SSRS levels, stored results."""

import pytest

from assessments.instruments import ScoringError
from assessments.models import Alert, Assessment
from assessments.recorded_results import cssrs_result
from assessments.services.assessment import assessment_submit, patient_context
from tests.factories import cows_answers, phq9_answers


class _Patient:
    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)


@pytest.mark.parametrize(
    ("sex", "expected"),
    [
        ("female", "female"),
        ("male", "male"),
        ("intersex", None),
        ("unknown", None),
        ("declined", None),
        (None, None),
    ],
)
def test_only_female_and_male_reach_the_instruments(sex, expected):
    assert patient_context(_Patient(sex_at_birth=sex)) == {"sex": expected}


def test_a_patient_record_without_sex_at_birth_gives_none():
    assert patient_context(_Patient()) == {"sex": None}


def test_a_recorded_cssrs_result_has_the_library_shape():
    result = cssrs_result({"risk_level": "high"})
    assert result["band"] == "high"
    assert result["total"] is None
    assert [f["code"] for f in result["flags"]] == ["suicide_risk"]
    assert cssrs_result({"risk_level": "low"})["flags"] == []


@pytest.mark.parametrize(
    ("answers", "keys"),
    [
        ({"risk_level": "HIGH"}, {"risk_level"}),
        ({"risk_level": 3}, {"risk_level"}),
        ({"risk_level": None}, {"risk_level"}),
        ({"risk_level": "low", "q1": "yes"}, {"q1"}),
        ({"risk_level": "low", "said she would": 1}, {"non_field_errors"}),
        ("high", {"non_field_errors"}),
    ],
)
def test_a_recorded_cssrs_level_is_the_only_thing_validated(answers, keys):
    with pytest.raises(ScoringError) as caught:
        cssrs_result(answers)
    assert set(caught.value.errors) == keys
    assert "she would" not in str(caught.value)


def test_submitting_stores_the_result_the_library_computed(clinician, patient_a):
    assessment = assessment_submit(
        patient=patient_a,
        instrument_code="cows",
        answers=cows_answers(pulse=95, item_11=3),
        user=clinician,
        setting="withdrawal_check",
    )
    stored = Assessment.objects.get(pk=assessment.pk)
    assert stored.result["item_scores"]["item_1"] == 1
    assert stored.total == 4
    assert stored.band == "below_mild"
    assert stored.result["instrument"] == "cows"
    assert stored.answers["resting_pulse_bpm"] == 95


def test_an_alert_failure_rolls_back_the_assessment(clinician, patient_a, monkeypatch):
    """Score, store and alert are one transaction: no assessment without its alerts."""
    from assessments.services import alert as alert_services

    def broken(**kwargs):
        raise RuntimeError("alert store down")

    monkeypatch.setattr(alert_services, "alert_raise", broken)
    with pytest.raises(RuntimeError):
        assessment_submit(
            patient=patient_a,
            instrument_code="phq9",
            answers=phq9_answers(item_9=1),
            user=clinician,
            setting="intake",
        )
    assert not Assessment.objects.exists()
    assert not Alert.objects.exists()
