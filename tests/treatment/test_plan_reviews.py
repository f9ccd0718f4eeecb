"""Reviews: due dates follow the level of care's cadence, reviews record progress per objective
without touching the locked plan, and overdue plans are listed."""

import datetime as dt

import pytest
from django.utils import timezone

from clinic.models import AuditEvent
from tests.factories import active_plan, draft_plan, register_patient, signable_plan
from treatment.models import Objective, ObjectiveProgress, PlanReview, TreatmentPlan
from treatment.selectors.plan import plans_due_for_review, plans_review_overdue
from treatment.services import plan as services

PLANS = "/api/v1/treatment-plans/"


def today():
    return timezone.localdate()


def progress_for(plan, status="in_progress"):
    return [
        {"objective": str(o.pk), "status": status, "note": "steady"}
        for o in Objective.objects.filter(plan=plan)
    ]


def set_due(plan, due):
    """Place a plan's review date (a lifecycle field, allowed on a locked plan)."""
    TreatmentPlan.objects.filter(pk=plan.pk).update(next_review_due=due)


# --- Cadence -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "days"),
    [("0.5", 90), ("1", 90), ("2.1", 30), ("2.5", 30), ("3.1", 7), ("3.7", 7), ("1-WM", 7)],
)
def test_the_first_review_falls_due_by_the_level_of_cares_cadence(
    level, days, clinician, patient_a
):
    plan = active_plan(patient_a, clinician, level_of_care=level)
    assert plan.next_review_due == plan.start_date + dt.timedelta(days=days)


def test_a_level_the_table_does_not_name_uses_the_default(clinician, patient_a, settings):
    settings.TREATMENT_PLAN_REVIEW_DAYS = {"default": 45, "1": 90}
    plan = active_plan(patient_a, clinician, level_of_care="3.3")
    assert plan.next_review_due == plan.start_date + dt.timedelta(days=45)


def test_the_clinic_sets_its_states_cadence(clinician, patient_a, settings):
    """Kansas, for example: outpatient plans updated at least every 90 days, intensive
    outpatient within 7."""
    settings.TREATMENT_PLAN_REVIEW_DAYS = {"default": 30, "1": 90, "2.1": 7}
    plan = active_plan(patient_a, clinician, level_of_care="2.1")
    assert plan.next_review_due == plan.start_date + dt.timedelta(days=7)


# --- Recording a review --------------------------------------------------------------------------


def test_a_review_records_progress_per_objective_and_sets_the_next_date(
    clinician, api_as, patient_a
):
    plan = active_plan(patient_a, clinician, objectives=2)
    locked = [
        Objective.objects.filter(plan=plan).values().get(pk=o.pk)
        for o in Objective.objects.filter(plan=plan)
    ]
    response = api_as(clinician).post(
        f"{PLANS}{plan.pk}/review/",
        {"progress": progress_for(plan), "summary": "Engaged, fewer cravings"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["next_review_due"] == (today() + dt.timedelta(days=90)).isoformat()
    assert body["reviewer"] == clinician.pk and len(body["progress"]) == 2
    plan.refresh_from_db()
    assert plan.next_review_due == today() + dt.timedelta(days=90)
    assert plan.status == "active"
    assert [Objective.objects.values().get(pk=row["id"]) for row in locked] == locked
    assert ObjectiveProgress.objects.filter(review__plan=plan, status="in_progress").count() == 2
    assert plan.events.last().kind == "reviewed"
    assert AuditEvent.objects.filter(detail="reviewed: continue", actor=clinician).exists()
    detail = api_as(clinician).get(f"{PLANS}{plan.pk}/").json()
    assert detail["reviews"][0]["progress"][0]["note"] == "steady"


def test_a_sooner_next_review_is_allowed_a_later_one_is_not(clinician, api_as, patient_a):
    plan = active_plan(patient_a, clinician, level_of_care="2.1")
    client = api_as(clinician)
    too_late = (today() + dt.timedelta(days=31)).isoformat()
    refused = client.post(
        f"{PLANS}{plan.pk}/review/",
        {"progress": progress_for(plan), "next_review_due": too_late},
        format="json",
    )
    assert refused.status_code == 400
    assert "30 days" in refused.json()["errors"]["next_review_due"][0]
    assert not PlanReview.objects.exists()
    sooner = (today() + dt.timedelta(days=14)).isoformat()
    ok = client.post(
        f"{PLANS}{plan.pk}/review/",
        {"progress": progress_for(plan), "next_review_due": sooner},
        format="json",
    )
    assert ok.status_code == 201
    plan.refresh_from_db()
    assert plan.next_review_due.isoformat() == sooner


def test_a_review_must_cover_every_objective_of_the_plan(clinician, api_as, patient_a, site_a):
    plan = active_plan(patient_a, clinician, objectives=2)
    other = active_plan(register_patient(site_a), clinician)
    client = api_as(clinician)
    url = f"{PLANS}{plan.pk}/review/"
    partial = client.post(url, {"progress": progress_for(plan)[:1]}, format="json")
    assert partial.status_code == 400
    assert "missing" in partial.json()["errors"]["progress"][0]
    foreign = progress_for(plan) + progress_for(other)
    mixed = client.post(url, {"progress": foreign}, format="json")
    assert mixed.status_code == 400
    assert mixed.json()["errors"]["progress.2.objective"] == ["Not an objective of this plan."]
    tomorrow = (today() + dt.timedelta(days=1)).isoformat()
    future = client.post(
        url, {"progress": progress_for(plan), "reviewed_on": tomorrow}, format="json"
    )
    assert "reviewed_on" in future.json()["errors"]
    assert not PlanReview.objects.exists()


@pytest.mark.parametrize(
    ("outcome", "status"),
    [("continue", "active"), ("revise", "under_review"), ("complete", "completed")],
)
def test_the_outcome_moves_the_plan(outcome, status, clinician, patient_a):
    plan = active_plan(patient_a, clinician)
    services.plan_review(plan=plan, user=clinician, progress=progress_for(plan), outcome=outcome)
    plan.refresh_from_db()
    assert plan.status == status


def test_continuing_brings_a_plan_under_review_back_to_active(clinician, patient_a):
    plan = active_plan(patient_a, clinician)
    services.plan_transition(plan=plan, to_status="under_review", user=clinician)
    services.plan_review(plan=plan, user=clinician, progress=progress_for(plan))
    plan.refresh_from_db()
    assert plan.status == "active"


def test_a_draft_cannot_be_reviewed(clinician, api_as, patient_a):
    plan = signable_plan(patient_a, clinician)
    response = api_as(clinician).post(
        f"{PLANS}{plan.pk}/review/", {"progress": progress_for(plan)}, format="json"
    )
    assert response.status_code == 409
    assert not PlanReview.objects.exists()


@pytest.mark.parametrize(("persona", "code"), [("medical_staff", 403), ("outsider", 404)])
def test_only_clinicians_at_the_site_review(persona, code, personas, clinician, api_as, patient_a):
    plan = active_plan(patient_a, clinician)
    response = api_as(personas[persona]).post(
        f"{PLANS}{plan.pk}/review/", {"progress": progress_for(plan)}, format="json"
    )
    assert response.status_code == code
    assert not PlanReview.objects.exists()
    with pytest.raises(services.SigningRefused):
        services.plan_review(plan=plan, user=personas["outsider"], progress=progress_for(plan))


def test_reviews_are_written_once(clinician, patient_a):
    from clinic.models import ProtectedDeletion

    plan = active_plan(patient_a, clinician)
    review = services.plan_review(plan=plan, user=clinician, progress=progress_for(plan))
    review.summary = "rewritten"
    with pytest.raises(ProtectedDeletion):
        review.save()
    assert PlanReview.objects.get().summary == ""


# --- Overdue -------------------------------------------------------------------------------------


@pytest.fixture
def plans_by_due(clinician, site_a, site_b, outsider):
    """Plans in several states around today: only `late` and `late_review` are overdue."""

    def make(site, user, status="active", due=None):
        plan = (
            active_plan(register_patient(site), user)
            if status != "draft"
            else draft_plan(register_patient(site), user)
        )
        if status not in ("active", "draft"):
            services.plan_transition(plan=plan, to_status=status, user=user, reason="r")
        set_due(plan, due)
        return plan

    d = today()
    return {
        "late": make(site_a, clinician, due=d - dt.timedelta(days=3)),
        "late_review": make(site_a, clinician, "under_review", d - dt.timedelta(days=1)),
        "due_today": make(site_a, clinician, due=d),
        "due_soon": make(site_a, clinician, due=d + dt.timedelta(days=6)),
        "later": make(site_a, clinician, due=d + dt.timedelta(days=40)),
        "late_draft": make(site_a, clinician, "draft", d - dt.timedelta(days=9)),
        "late_completed": make(site_a, clinician, "completed", d - dt.timedelta(days=9)),
        "late_elsewhere": make(site_b, outsider, due=d - dt.timedelta(days=9)),
    }


def _names(plans, ids):
    by_id = {str(p.pk): name for name, p in plans.items()}
    return [by_id[i] for i in ids]


def test_the_api_lists_overdue_reviews(plans_by_due, clinician, api_as):
    client = api_as(clinician)
    overdue = client.get(f"{PLANS}?review_overdue=true&ordering=next_review_due").json()
    assert _names(plans_by_due, [p["id"] for p in overdue["results"]]) == ["late", "late_review"]
    assert all(p["review_overdue"] for p in overdue["results"])
    rest = client.get(f"{PLANS}?review_overdue=false").json()["results"]
    assert set(_names(plans_by_due, [p["id"] for p in rest])) == {
        "due_today",
        "due_soon",
        "later",
        "late_draft",
        "late_completed",
    }
    soon = client.get(f"{PLANS}?review_due_within=7&ordering=next_review_due").json()
    assert _names(plans_by_due, [p["id"] for p in soon["results"]]) == [
        "late",
        "late_review",
        "due_today",
        "due_soon",
    ]
    assert client.get(f"{PLANS}?review_due_within=-1").status_code == 400


def test_the_dashboard_selector_lists_due_and_overdue_plans_at_the_users_sites(
    plans_by_due, clinician, outsider, front_desk
):
    due = plans_due_for_review(clinician, within_days=7)
    assert _names(plans_by_due, [str(p.pk) for p in due]) == [
        "late",
        "late_review",
        "due_today",
        "due_soon",
    ]
    late = plans_review_overdue(clinician)
    assert _names(plans_by_due, [str(p.pk) for p in late]) == ["late", "late_review"]
    assert _names(plans_by_due, [str(p.pk) for p in plans_review_overdue(outsider)]) == [
        "late_elsewhere"
    ]
    assert list(plans_due_for_review(front_desk)) == []
