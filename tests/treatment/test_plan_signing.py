"""Signing: who may sign and co-sign, what a draft needs first, the patient's acknowledgement."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from clinic.models import AuditEvent
from patients.services.patient import care_team_add
from tests.factories import active_plan, draft_plan, signable_plan, staff_user
from treatment.models import Goal, Intervention, Objective, PlanEvent, Problem, TreatmentPlan
from treatment.services import plan as services

PLANS = "/api/v1/treatment-plans/"


def sign(client, plan):
    return client.post(f"{PLANS}{plan.pk}/sign/", {}, format="json")


def state(plan):
    plan.refresh_from_db()
    return (
        plan.status,
        plan.signed_at,
        plan.cosigned_at,
        plan.history.count(),
        plan.events.count(),
    )


# --- What a draft needs --------------------------------------------------------------------------


def test_an_empty_draft_cannot_be_signed(clinician, api_as, patient_a):
    plan = draft_plan(patient_a, clinician)
    before = state(plan)
    response = sign(api_as(clinician), plan)
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "problems": ["Add at least one problem."],
        "interventions": ["Add at least one intervention."],
    }
    assert state(plan) == before


def test_the_errors_name_every_missing_part(clinician, api_as, patient_a):
    plan = draft_plan(patient_a, clinician)
    bare = services.problem_add(plan=plan, user=clinician)
    problem = services.problem_add(plan=plan, user=clinician, description="d", strengths="s")
    no_objectives = services.goal_add(problem=problem, user=clinician, patient_words="My words")
    goal = services.goal_add(problem=problem, user=clinician, patient_words="Sleep again")
    vague = services.objective_add(goal=goal, user=clinician, description="Feel better")
    unstaffed = services.intervention_add(plan=plan, user=clinician, intervention_type="cbt")
    response = sign(api_as(clinician), plan)
    assert response.status_code == 400
    assert response.json()["errors"] == {
        f"problems.{bare.pk}.description": ["Describe the problem."],
        f"problems.{bare.pk}.strengths": ["Record the patient's strengths."],
        f"problems.{bare.pk}.goals": ["Add a goal in the patient's own words."],
        f"goals.{no_objectives.pk}.objectives": [
            "Add at least one measurable objective with a target date."
        ],
        f"objectives.{vague.pk}.measure": ["Say how progress is measured."],
        f"objectives.{vague.pk}.target_date": ["Set a target date."],
        f"interventions.{unstaffed.pk}.responsible_staff": ["Name the staff member responsible."],
    }
    assert TreatmentPlan.objects.get(pk=plan.pk).signed_at is None


def test_a_goal_must_be_in_the_patients_words(clinician, api_as, patient_a):
    plan = signable_plan(patient_a, clinician)
    problem = plan.problems.get()
    response = api_as(clinician).post(
        "/api/v1/plan-goals/",
        {"problem": str(problem.pk), "clinical_restatement": "Abstinence"},
        format="json",
    )
    assert response.status_code == 400
    assert "patient_words" in response.json()["errors"]
    assert Goal.objects.filter(plan=plan).count() == 1


def test_staff_who_left_the_site_block_the_signature(clinician, api_as, patient_a, site_a):
    counsellor = staff_user(roles=["clinician"], sites=[site_a], username="counsellor")
    plan = signable_plan(patient_a, clinician, staff=counsellor)
    counsellor.staff_profile.sites.clear()
    response = sign(api_as(clinician), plan)
    assert response.status_code == 400
    intervention = Intervention.objects.get(plan=plan)
    assert response.json()["errors"] == {
        f"interventions.{intervention.pk}.responsible_staff": [
            "This person no longer works at the patient's site."
        ]
    }


# --- Signing -------------------------------------------------------------------------------------


def test_signing_locks_the_plan_and_makes_it_active(clinician, api_as, patient_a):
    plan = signable_plan(patient_a, clinician, level_of_care="2.1")
    response = sign(api_as(clinician), plan)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "active"
    assert body["is_locked"] is True and body["signing_blockers"] == {}
    assert body["signed_by"] == clinician.pk
    assert body["next_review_due"] == (plan.start_date + dt.timedelta(days=30)).isoformat()
    assert [e["kind"] for e in body["events"]] == ["created", "signed", "transitioned"]
    assert body["events"][-1]["to_status"] == "active"
    assert AuditEvent.objects.filter(
        action="update", detail="signed", object_id=str(plan.pk), actor=clinician
    ).exists()
    plan.refresh_from_db()
    assert plan.history.first().history_user == clinician


def test_a_signed_plan_cannot_be_signed_again(clinician, api_as, patient_a):
    plan = active_plan(patient_a, clinician)
    before = state(plan)
    assert sign(api_as(clinician), plan).status_code == 409
    assert state(plan) == before


@pytest.mark.parametrize("persona", ["medical_staff", "clinic_admin", "front_desk"])
def test_only_clinicians_sign(persona, personas, clinician, api_as, patient_a):
    plan = signable_plan(patient_a, clinician)
    before = state(plan)
    assert sign(api_as(personas[persona]), plan).status_code == 403
    assert state(plan) == before


def test_a_clinician_of_another_site_cannot_see_the_plan_to_sign_it(
    clinician, outsider, api_as, patient_a
):
    plan = signable_plan(patient_a, clinician)
    before = state(plan)
    assert sign(api_as(outsider), plan).status_code == 404
    assert state(plan) == before


def test_the_service_itself_refuses_a_signer_who_does_not_work_at_the_site(
    clinician, outsider, medical_staff, patient_a
):
    plan = signable_plan(patient_a, clinician)
    for user in (outsider, medical_staff):
        with pytest.raises(services.SigningRefused):
            services.plan_sign(plan=plan, user=user)
    assert TreatmentPlan.objects.get(pk=plan.pk).signed_at is None


def test_a_second_plan_in_force_is_refused(clinician, api_as, patient_a):
    first = active_plan(patient_a, clinician)
    second = signable_plan(patient_a, clinician)
    response = sign(api_as(clinician), second)
    assert response.status_code == 409
    assert response.json()["plan_in_force"] == str(first.pk)
    assert TreatmentPlan.objects.get(pk=second.pk).signed_at is None


def test_a_stale_if_match_on_signing_is_412(clinician, api_as, patient_a):
    plan = signable_plan(patient_a, clinician)
    client = api_as(clinician)
    etag = client.get(f"{PLANS}{plan.pk}/")["ETag"]
    objective = Objective.objects.get(plan=plan)
    services.objective_update(objective=objective, user=clinician, measure="days abstinent")
    response = client.post(f"{PLANS}{plan.pk}/sign/", {}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 412
    assert TreatmentPlan.objects.get(pk=plan.pk).signed_at is None
    fresh = client.get(f"{PLANS}{plan.pk}/")["ETag"]
    assert sign_with(client, plan, fresh).status_code == 200


def sign_with(client, plan, etag):
    return client.post(f"{PLANS}{plan.pk}/sign/", {}, format="json", HTTP_IF_MATCH=etag)


# --- Co-signing ----------------------------------------------------------------------------------


@pytest.fixture
def cosign_required(settings):
    settings.TREATMENT_PLAN_REQUIRES_COSIGN = True


@pytest.fixture
def supervisor(site_a, patient_a, clinician):
    user = staff_user(roles=["clinician"], sites=[site_a], username="supervisor")
    care_team_add(patient=patient_a, staff=user, role="supervisor", user=clinician)
    return user


def test_when_cosign_is_required_a_signed_plan_waits_locked(
    cosign_required, clinician, api_as, patient_a
):
    plan = signable_plan(patient_a, clinician)
    body = sign(api_as(clinician), plan).json()
    assert body["status"] == "draft"
    assert body["is_locked"] is True and body["awaiting_cosign"] is True
    assert body["cosign_required"] is True


def test_the_signer_cannot_cosign(cosign_required, clinician, api_as, patient_a):
    care_team_add(patient=patient_a, staff=clinician, role="supervisor", user=clinician)
    plan = signable_plan(patient_a, clinician)
    client = api_as(clinician)
    sign(client, plan)
    before = state(plan)
    response = client.post(f"{PLANS}{plan.pk}/cosign/", {}, format="json")
    assert response.status_code == 403
    assert "someone other" in response.json()["detail"]
    assert state(plan) == before


def test_a_clinician_who_does_not_supervise_cannot_cosign(
    cosign_required, clinician, api_as, patient_a, site_a
):
    peer = staff_user(roles=["clinician"], sites=[site_a], username="peer")
    plan = signable_plan(patient_a, clinician)
    sign(api_as(clinician), plan)
    before = state(plan)
    assert api_as(peer).post(f"{PLANS}{plan.pk}/cosign/", {}, format="json").status_code == 403
    assert state(plan) == before


def test_the_care_team_supervisor_cosigns_and_the_plan_becomes_active(
    cosign_required, supervisor, clinician, api_as, patient_a
):
    plan = signable_plan(patient_a, clinician)
    sign(api_as(clinician), plan)
    response = api_as(supervisor).post(f"{PLANS}{plan.pk}/cosign/", {}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "active" and body["cosigned_by"] == supervisor.pk
    assert [e["kind"] for e in body["events"]][-2:] == ["cosigned", "transitioned"]
    assert AuditEvent.objects.filter(detail="co-signed", actor=supervisor).exists()
    again = api_as(supervisor).post(f"{PLANS}{plan.pk}/cosign/", {}, format="json")
    assert again.status_code == 409


def test_a_member_of_the_cosigner_group_may_cosign(
    cosign_required, clinician, api_as, patient_a, site_a, settings
):
    settings.TREATMENT_PLAN_COSIGNER_GROUP = "Clinical supervisor"
    lead = staff_user(roles=["clinician"], sites=[site_a], username="lead")
    lead.groups.add(Group.objects.get_or_create(name="Clinical supervisor")[0])
    plan = signable_plan(patient_a, clinician)
    sign(api_as(clinician), plan)
    assert api_as(lead).post(f"{PLANS}{plan.pk}/cosign/", {}, format="json").status_code == 200


def test_cosign_before_signing_or_when_not_required_is_409(
    supervisor, clinician, api_as, patient_a, settings
):
    settings.TREATMENT_PLAN_REQUIRES_COSIGN = True
    plan = signable_plan(patient_a, clinician)
    client = api_as(supervisor)
    assert client.post(f"{PLANS}{plan.pk}/cosign/", {}, format="json").status_code == 409
    settings.TREATMENT_PLAN_REQUIRES_COSIGN = False
    sign(api_as(clinician), plan)
    response = client.post(f"{PLANS}{plan.pk}/cosign/", {}, format="json")
    assert response.status_code == 409
    assert "does not need" in response.json()["detail"]


def test_a_supervisor_at_another_site_cannot_cosign(
    cosign_required, clinician, outsider, patient_a
):
    care_team_add(patient=patient_a, staff=outsider, role="supervisor", user=clinician)
    plan = signable_plan(patient_a, clinician)
    services.plan_sign(plan=plan, user=clinician)
    with pytest.raises(services.SigningRefused):
        services.plan_cosign(plan=plan, user=outsider)
    assert TreatmentPlan.objects.get(pk=plan.pk).cosigned_at is None


# --- The patient's acknowledgement ---------------------------------------------------------------


def test_the_patient_acknowledges_the_signed_plan(clinician, api_as, patient_a):
    plan = active_plan(patient_a, clinician)
    response = api_as(clinician).post(
        f"{PLANS}{plan.pk}/acknowledge/", {"method": "signature"}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["acknowledgement_method"] == "signature"
    assert body["acknowledged_on"] == timezone.localdate().isoformat()
    assert body["acknowledgement_recorded_by"] == clinician.pk
    assert body["events"][-1]["kind"] == "acknowledged"
    assert AuditEvent.objects.filter(detail="acknowledged: signature").exists()


def test_a_patient_may_decline_and_it_is_recorded_once(clinician, api_as, patient_a):
    plan = active_plan(patient_a, clinician)
    client = api_as(clinician)
    url = f"{PLANS}{plan.pk}/acknowledge/"
    assert client.post(url, {"method": "declined"}, format="json").status_code == 200
    before = state(plan)
    assert client.post(url, {"method": "verbal"}, format="json").status_code == 409
    assert state(plan) == before
    assert TreatmentPlan.objects.get(pk=plan.pk).acknowledgement_method == "declined"


def test_acknowledging_a_draft_or_a_future_date_is_refused(clinician, api_as, patient_a):
    plan = signable_plan(patient_a, clinician)
    client = api_as(clinician)
    url = f"{PLANS}{plan.pk}/acknowledge/"
    assert client.post(url, {"method": "verbal"}, format="json").status_code == 409
    services.plan_sign(plan=plan, user=clinician)
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = client.post(url, {"method": "verbal", "acknowledged_on": tomorrow}, format="json")
    assert response.status_code == 400
    assert "acknowledged_on" in response.json()["errors"]
    assert client.post(url, {"method": "fax"}, format="json").status_code == 400
    assert TreatmentPlan.objects.get(pk=plan.pk).acknowledgement_method == ""


def test_signed_and_acknowledged_moments_are_event_rows(clinician, patient_a):
    plan = active_plan(patient_a, clinician)
    services.plan_acknowledge(plan=plan, user=clinician, method="electronic")
    kinds = list(PlanEvent.objects.filter(plan=plan).values_list("kind", "actor"))
    assert kinds == [
        ("created", clinician.pk),
        ("signed", clinician.pk),
        ("transitioned", clinician.pk),
        ("acknowledged", clinician.pk),
    ]
    assert Problem.objects.filter(plan=plan).count() == 1
