"""Revisions: changing a signed plan drafts a new revision; the old one stays exactly as signed."""

import datetime as dt

from django.utils import timezone

from tests.factories import active_plan, register_patient
from treatment.models import (
    Goal,
    Intervention,
    InterventionObjective,
    Objective,
    PlanEvent,
    Problem,
    TreatmentPlan,
)
from treatment.services import plan as services

PLANS = "/api/v1/treatment-plans/"
CONTENT = {
    Problem: ["description", "strengths", "diagnosis_id", "position"],
    Goal: ["patient_words", "clinical_restatement", "position"],
    Objective: ["description", "measure", "target_date", "status", "position"],
    Intervention: [
        "intervention_type",
        "frequency_count",
        "frequency_period",
        "duration_weeks",
        "responsible_staff",
        "position",
    ],
}


def content(plan):
    return {
        model.__name__: sorted(
            tuple(row) for row in model.objects.filter(plan=plan).values_list(*fields)
        )
        for model, fields in CONTENT.items()
    }


def frozen(plan):
    """The old revision's rows and their history, to prove a revision left them untouched."""
    return (
        {m.__name__: list(m.objects.filter(plan=plan).values()) for m in CONTENT},
        [m.history.filter(plan_id=plan.pk).count() for m in CONTENT],
        TreatmentPlan.objects.filter(pk=plan.pk).values().get(),
    )


def test_revising_copies_every_part_into_a_new_draft(clinician, api_as, patient_a):
    old = active_plan(patient_a, clinician, problems=2, objectives=2, interventions=2)
    before = frozen(old)
    response = api_as(clinician).post(
        f"{PLANS}{old.pk}/revise/", {"reason": "new goal"}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    new = TreatmentPlan.objects.get(pk=body["id"])
    assert (new.revision, new.supersedes_id, new.status) == (2, old.pk, "draft")
    assert new.signed_at is None and body["signing_blockers"] == {}
    assert content(new) == content(old)
    assert not set(Problem.objects.filter(plan=new).values_list("pk", flat=True)) & set(
        Problem.objects.filter(plan=old).values_list("pk", flat=True)
    )
    new_links = InterventionObjective.objects.filter(intervention__plan=new)
    assert new_links.count() == 2 * 4
    assert set(new_links.values_list("objective__plan", flat=True)) == {new.pk}
    assert frozen(old) == before
    old.refresh_from_db()
    assert old.status == "active"
    assert old.events.last().kind == "revised"
    assert new.history.first().history_user == clinician


def test_the_revision_is_edited_while_the_old_plan_stays_in_force(clinician, api_as, patient_a):
    old = active_plan(patient_a, clinician)
    new = services.plan_revise(plan=old, user=clinician)
    before = frozen(old)
    problem = new.problems.get()
    response = api_as(clinician).patch(
        f"/api/v1/plan-problems/{problem.pk}/", {"strengths": "New job"}, format="json"
    )
    assert response.status_code == 200
    assert frozen(old) == before


def test_signing_the_revision_completes_the_old_one_with_a_pointer(clinician, api_as, patient_a):
    old = active_plan(patient_a, clinician)
    new = services.plan_revise(plan=old, user=clinician)
    before_content = content(old)
    response = api_as(clinician).post(f"{PLANS}{new.pk}/sign/", {}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "active"
    old.refresh_from_db()
    assert old.status == "completed"
    assert content(old) == before_content
    event = PlanEvent.objects.filter(plan=old).last()
    assert (event.kind, event.to_status, event.note) == (
        "transitioned",
        "completed",
        "superseded by revision 2",
    )
    detail = api_as(clinician).get(f"{PLANS}{old.pk}/").json()
    assert detail["superseded_by"] == [str(new.pk)]
    assert detail["is_locked"] is True


def test_only_a_plan_in_force_can_be_revised(clinician, api_as, patient_a):
    old = active_plan(patient_a, clinician)
    client = api_as(clinician)
    draft = services.plan_revise(plan=old, user=clinician)
    response = client.post(f"{PLANS}{draft.pk}/revise/", {}, format="json")
    assert response.status_code == 409
    assert response.json()["plan_status"] == "draft"
    again = client.post(f"{PLANS}{old.pk}/revise/", {}, format="json")
    assert again.status_code == 409
    assert again.json()["draft"] == str(draft.pk)
    assert TreatmentPlan.objects.count() == 2


def test_an_abandoned_revision_leaves_the_old_plan_in_force(clinician, patient_a):
    old = active_plan(patient_a, clinician)
    first = services.plan_revise(plan=old, user=clinician)
    services.plan_transition(plan=first, to_status="discontinued", user=clinician, reason="redo")
    second = services.plan_revise(plan=old, user=clinician)
    old.refresh_from_db()
    assert old.status == "active"
    assert second.revision == 2 and second.supersedes_id == old.pk
    assert set(old.revisions.values_list("status", flat=True)) == {"draft", "discontinued"}


def test_a_revision_carries_reviewed_progress_and_clears_stale_targets(clinician, site_a):
    start = timezone.localdate() - dt.timedelta(days=80)
    patient = register_patient(site_a, effective_on=start)
    old = active_plan(patient, clinician, objectives=2, start_date=start)
    met, open_ = Objective.objects.filter(plan=old).order_by("position")
    services.plan_review(
        plan=old,
        user=clinician,
        progress=[
            {"objective": met.pk, "status": "met", "note": "done"},
            {"objective": open_.pk, "status": "in_progress"},
        ],
    )
    new = services.plan_revise(plan=old, user=clinician)
    copies = {o.description: o for o in Objective.objects.filter(plan=new)}
    assert copies[met.description].status == "met"
    assert copies[met.description].target_date == met.target_date
    assert copies[open_.description].status == "in_progress"
    assert copies[open_.description].target_date is None  # was before the revision's start
    errors = services.plan_signing_errors(new)
    assert errors == {
        f"objectives.{copies[open_.description].pk}.target_date": ["Set a target date."]
    }
    assert Objective.objects.get(pk=met.pk).status == "not_started"  # the old plan is untouched
