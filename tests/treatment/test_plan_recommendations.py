"""One action from the intake's recommendations to a draft plan the clinician completes."""

import dataclasses

import pytest

from assessments.recommendations import IntakeFindings, Reason, Recommendation, recommend
from clinic.models import AuditEvent
from treatment.models import Intervention, Problem, TreatmentPlan
from treatment.services import plan as services

URL = "/api/v1/treatment-plans/from-recommendations/"
FINDINGS = IntakeFindings(
    use_disorder_severity="moderate", daily_use=True, readiness=3, phq9_total=12
)


def payload(patient, recommendations=None, **extra):
    recs = recommend(FINDINGS) if recommendations is None else recommendations
    return {
        "patient": str(patient.pk),
        "recommendations": [dataclasses.asdict(r) for r in recs],
        **extra,
    }


def test_the_service_drafts_one_intervention_per_recommended_type(clinician, patient_a):
    recommendations = recommend(FINDINGS)
    plan = services.plan_create_from_recommendations(
        patient=patient_a, recommendations=recommendations, user=clinician
    )
    assert plan.status == "draft" and plan.level_of_care == "1"
    interventions = list(Intervention.objects.filter(plan=plan).order_by("position"))
    assert [i.intervention_type for i in interventions] == [
        r.intervention_type for r in recommendations
    ]
    by_type = {i.intervention_type: i for i in interventions}
    assert by_type["cbt"].frequency_display == "weekly for 12 weeks"
    assert by_type["met"].frequency_display == "weekly for 4 weeks"
    assert by_type["met"].recommendation_rule_ids == ["low_readiness_met_first"]
    assert "Motivational enhancement first" in by_type["met"].rationale
    assert all(i.responsible_staff is None for i in interventions)
    problem = Problem.objects.get(plan=plan)
    assert problem.description == "" and not problem.goals.exists()
    assert plan.events.get().note == "from intake recommendations"


def test_the_draft_cannot_be_signed_until_the_clinician_completes_it(clinician, patient_a):
    plan = services.plan_create_from_recommendations(
        patient=patient_a, recommendations=recommend(FINDINGS), user=clinician
    )
    errors = services.plan_signing_errors(plan)
    problem = Problem.objects.get(plan=plan)
    assert {
        f"problems.{problem.pk}.description",
        f"problems.{problem.pk}.strengths",
        f"problems.{problem.pk}.goals",
    } <= set(errors)
    unstaffed = {k for k in errors if k.endswith(".responsible_staff")}
    assert len(unstaffed) == Intervention.objects.filter(plan=plan).count()


def test_the_api_takes_the_recommendations_as_json(clinician, api_as, patient_a):
    response = api_as(clinician).post(URL, payload(patient_a, level_of_care="2.1"), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["level_of_care"] == "2.1" and body["status"] == "draft"
    assert [i["intervention_type"] for i in body["interventions"]] == [
        r.intervention_type for r in recommend(FINDINGS)
    ]
    assert len(body["problems"]) == 1
    assert body["signing_blockers"]
    assert AuditEvent.objects.filter(
        action="create", object_type="treatment_plan", patient_id=patient_a.pk
    ).exists()


def test_the_rule_text_comes_from_our_rules_not_the_request(clinician, api_as, patient_a):
    body = payload(
        patient_a,
        [
            Recommendation(
                "psychoeducation",
                90,
                (Reason("disorder_education_and_peer_support", "Injected text", "x"),),
            )
        ],
    )
    plan_id = api_as(clinician).post(URL, body, format="json").json()["id"]
    rationale = Intervention.objects.get(plan_id=plan_id).rationale
    assert "Injected" not in rationale and "Psychoeducation about kratom" in rationale


def test_repeated_types_are_merged_into_one_intervention(clinician, patient_a):
    reason = Reason("disorder_education_and_peer_support", "", "")
    plan = services.plan_create_from_recommendations(
        patient=patient_a,
        recommendations=[
            Recommendation("peer_support", 90, (reason,)),
            Recommendation("peer_support", 90, (reason,)),
        ],
        user=clinician,
    )
    intervention = Intervention.objects.get(plan=plan)
    assert intervention.recommendation_rule_ids == ["disorder_education_and_peer_support"]


def test_clinic_defaults_for_frequencies_are_settings(clinician, patient_a, settings):
    settings.TREATMENT_PLAN_INTERVENTION_DEFAULTS = {
        **settings.TREATMENT_PLAN_INTERVENTION_DEFAULTS,
        "cbt": {"count": 2, "period": "week", "weeks": 8},
    }
    plan = services.plan_create_from_recommendations(
        patient=patient_a,
        recommendations=[
            Recommendation("cbt", 40, (Reason("mood_anxiety_cbt_and_psychiatric_review", "", ""),))
        ],
        user=clinician,
    )
    assert Intervention.objects.get(plan=plan).frequency_display == "twice a week for 8 weeks"


@pytest.mark.parametrize(
    ("recommendations", "field"),
    [
        ([], "recommendations"),
        (
            [{"intervention_type": "yoga", "reasons": [{"rule_id": "x"}]}],
            "recommendations",
        ),
        (
            [{"intervention_type": "cbt", "reasons": [{"rule_id": "no_such_rule"}]}],
            "recommendations.0.reasons.0.rule_id",
        ),
        (
            [{"intervention_type": "taper", "reasons": [{"rule_id": "low_readiness_met_first"}]}],
            "recommendations.0.reasons.0.rule_id",
        ),
        ([{"intervention_type": "cbt", "reasons": []}], "recommendations"),
    ],
)
def test_bad_recommendations_are_400_and_create_nothing(
    recommendations, field, clinician, api_as, patient_a
):
    body = {"patient": str(patient_a.pk), "recommendations": recommendations}
    response = api_as(clinician).post(URL, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert TreatmentPlan.objects.count() == 0


def test_an_unknown_level_is_refused(clinician, api_as, patient_a):
    response = api_as(clinician).post(URL, payload(patient_a, level_of_care="7"), format="json")
    assert response.status_code == 400
    assert "level_of_care" in response.json()["errors"]
    assert TreatmentPlan.objects.count() == 0


@pytest.mark.parametrize(("persona", "code"), [("front_desk", 403), ("medical_staff", 403)])
def test_roles_without_add_cannot_start_a_plan(persona, code, personas, api_as, patient_a):
    response = api_as(personas[persona]).post(URL, payload(patient_a), format="json")
    assert response.status_code == code
    assert TreatmentPlan.objects.count() == 0


def test_a_patient_at_another_site_or_a_second_draft_is_refused(
    clinician, api_as, patient_a, patient_b
):
    client = api_as(clinician)
    assert client.post(URL, payload(patient_b), format="json").status_code == 400
    assert client.post(URL, payload(patient_a), format="json").status_code == 201
    again = client.post(URL, payload(patient_a), format="json")
    assert again.status_code == 409
    assert TreatmentPlan.objects.count() == 1
