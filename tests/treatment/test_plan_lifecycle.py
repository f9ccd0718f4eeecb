"""A plan's life: a draft is built and edited, signed and locked; status moves follow one table.

Locking is tested through every door: each API write path, the services, the models themselves
(save, queryset update, links) and a patient merge. A refused edit changes nothing.
"""

import datetime as dt

import pytest
from django.utils import timezone

from clinic.models import AuditEvent
from patients.services.merge import patient_merge
from tests.factories import active_plan, draft_plan, register_patient, signable_plan, staff_user
from treatment.models import (
    Goal,
    Intervention,
    InterventionObjective,
    Objective,
    PlanEvent,
    PlanLocked,
    Problem,
    TreatmentPlan,
)
from treatment.services import plan as services

PLANS = "/api/v1/treatment-plans/"


def _ids(plan):
    problem = plan.problems.get()
    goal = problem.goals.get()
    return {
        "plan": plan.pk,
        "problem": problem.pk,
        "goal": goal.pk,
        "objective": goal.objectives.get().pk,
        "intervention": plan.interventions.get().pk,
    }


def snapshot(plan):
    """Every row of the plan and its parts, with history counts: the same after a refusal."""
    models = [Problem, Goal, Objective, Intervention]
    rows = {
        m.__name__: sorted(
            (str(r["id"]), tuple(sorted((k, str(v)) for k, v in r.items())))
            for r in m.objects.filter(plan=plan).values()
        )
        for m in models
    }
    plan_row = TreatmentPlan.objects.filter(pk=plan.pk).values().get()
    return (
        {k: str(v) for k, v in plan_row.items()},
        rows,
        sorted(InterventionObjective.objects.filter(intervention__plan=plan).values_list("id")),
        TreatmentPlan.objects.count(),
        [m.history.count() for m in [TreatmentPlan, *models, InterventionObjective]],
    )


# --- Drafts --------------------------------------------------------------------------------------


def test_a_clinician_starts_a_draft_for_the_current_episode(clinician, api_as, patient_a):
    response = api_as(clinician).post(
        PLANS, {"patient": str(patient_a.pk), "level_of_care": "1"}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    today = timezone.localdate()
    assert body["status"] == "draft"
    assert body["episode"] == patient_a.episodes.get().pk
    assert body["start_date"] == today.isoformat()
    assert body["next_review_due"] == (today + dt.timedelta(days=90)).isoformat()
    assert body["revision"] == 1 and body["is_locked"] is False
    assert body["allowed_transitions"] == ["discontinued"]
    assert set(body["signing_blockers"]) == {"problems", "interventions"}
    assert response["ETag"]
    plan = TreatmentPlan.objects.get()
    assert plan.history.get().history_user == clinician
    assert list(plan.events.values_list("kind", flat=True)) == ["created"]
    assert AuditEvent.objects.filter(
        action="create", object_type="treatment_plan", object_id=str(plan.pk)
    ).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"level_of_care": "9.9"}, "level_of_care"),
        ({"level_of_care": "1", "start_date": "2001-01-01"}, "start_date"),
        ({"level_of_care": "1", "episode": 999999}, "episode"),
        ({}, "level_of_care"),
    ],
)
def test_a_bad_draft_is_400_by_field_and_nothing_is_created(
    body, field, clinician, api_as, patient_a
):
    response = api_as(clinician).post(PLANS, {"patient": str(patient_a.pk), **body}, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert TreatmentPlan.objects.count() == 0


def test_a_patient_of_another_site_is_unknown(clinician, api_as, patient_b):
    response = api_as(clinician).post(
        PLANS, {"patient": str(patient_b.pk), "level_of_care": "1"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"]["patient"] == ["Unknown patient."]


def test_one_draft_per_patient_at_a_time(clinician, api_as, patient_a):
    first = draft_plan(patient_a, clinician)
    response = api_as(clinician).post(
        PLANS, {"patient": str(patient_a.pk), "level_of_care": "2.1"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["draft"] == str(first.pk)
    assert TreatmentPlan.objects.count() == 1


def test_editing_a_draft_moves_the_review_date_with_the_level(clinician, api_as, patient_a):
    plan = draft_plan(patient_a, clinician)
    response = api_as(clinician).patch(
        f"{PLANS}{plan.pk}/", {"level_of_care": "2.1"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert (
        response.json()["next_review_due"] == (plan.start_date + dt.timedelta(days=30)).isoformat()
    )
    assert plan.history.first().history_user == clinician


def test_a_stale_if_match_is_412_and_changes_nothing(clinician, api_as, patient_a):
    plan = signable_plan(patient_a, clinician)
    client = api_as(clinician)
    etag = client.get(f"{PLANS}{plan.pk}/")["ETag"]
    services.problem_update(problem=plan.problems.get(), user=clinician, strengths="Family")
    before = snapshot(plan)
    response = client.patch(
        f"{PLANS}{plan.pk}/", {"level_of_care": "2.1"}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 412
    assert snapshot(plan) == before


def test_parts_are_built_through_flat_resources(clinician, api_as, patient_a):
    plan = draft_plan(patient_a, clinician)
    client = api_as(clinician)
    problem = client.post(
        "/api/v1/plan-problems/",
        {"plan": str(plan.pk), "description": "Daily kratom use", "strengths": "Employed"},
        format="json",
    ).json()
    goal = client.post(
        "/api/v1/plan-goals/",
        {"problem": problem["id"], "patient_words": "I want my mornings back"},
        format="json",
    ).json()
    objective = client.post(
        "/api/v1/plan-objectives/",
        {
            "goal": goal["id"],
            "description": "Cut daily dose by half",
            "measure": "grams per day in the dose log",
            "target_date": (plan.start_date + dt.timedelta(days=42)).isoformat(),
        },
        format="json",
    )
    assert objective.status_code == 201, objective.content
    intervention = client.post(
        "/api/v1/plan-interventions/",
        {
            "plan": str(plan.pk),
            "intervention_type": "met",
            "responsible_staff": clinician.pk,
            "objectives": [objective.json()["id"]],
        },
        format="json",
    )
    assert intervention.status_code == 201, intervention.content
    assert intervention.json()["frequency_display"] == "weekly for 4 weeks"
    detail = client.get(f"{PLANS}{plan.pk}/").json()
    assert detail["signing_blockers"] == {}
    assert detail["problems"][0]["goals"][0]["objectives"][0]["id"] == objective.json()["id"]
    assert detail["interventions"][0]["objectives"] == [objective.json()["id"]]
    assert goal["plan"] == str(plan.pk)


def test_an_objective_cannot_target_a_date_before_the_plan_start(clinician, api_as, patient_a):
    plan = signable_plan(patient_a, clinician)
    goal = Goal.objects.get(plan=plan)
    response = api_as(clinician).post(
        "/api/v1/plan-objectives/",
        {
            "goal": str(goal.pk),
            "description": "Fewer cravings",
            "measure": "craving 0-10",
            "target_date": (plan.start_date - dt.timedelta(days=1)).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 400
    assert "target_date" in response.json()["errors"]
    assert Objective.objects.filter(plan=plan).count() == 1


def test_moving_the_start_after_a_target_date_is_refused(clinician, api_as, patient_a):
    plan = signable_plan(patient_a, clinician, start_date=timezone.localdate())
    later = plan.start_date + dt.timedelta(days=61)
    response = api_as(clinician).patch(
        f"{PLANS}{plan.pk}/", {"start_date": later.isoformat()}, format="json"
    )
    assert response.status_code == 400
    assert "start_date" in response.json()["errors"]


@pytest.mark.parametrize("who", ["front_desk", "outsider"])
def test_responsible_staff_must_be_clinical_staff_at_the_patients_site(
    who, personas, clinician, api_as, patient_a
):
    plan = draft_plan(patient_a, clinician)
    response = api_as(clinician).post(
        "/api/v1/plan-interventions/",
        {"plan": str(plan.pk), "intervention_type": "cbt", "responsible_staff": personas[who].pk},
        format="json",
    )
    assert response.status_code == 400
    assert "responsible_staff" in response.json()["errors"]
    assert not plan.interventions.exists()


def test_a_part_cannot_be_moved_to_another_plan(clinician, api_as, patient_a, site_a):
    plan = signable_plan(patient_a, clinician)
    other = draft_plan(register_patient(site_a), clinician)
    problem = plan.problems.get()
    response = api_as(clinician).patch(
        f"/api/v1/plan-problems/{problem.pk}/", {"plan": str(other.pk)}, format="json"
    )
    assert response.status_code == 400
    assert Problem.objects.get(pk=problem.pk).plan_id == plan.pk


def test_removing_a_problem_archives_everything_under_it(clinician, api_as, patient_a):
    plan = signable_plan(patient_a, clinician)
    ids = _ids(plan)
    response = api_as(clinician).post(
        f"/api/v1/plan-problems/{ids['problem']}/archive/", {"reason": "duplicate"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["archived_at"]
    assert Goal.objects.get(pk=ids["goal"]).archived_at is not None
    assert Objective.objects.get(pk=ids["objective"]).archived_at is not None
    assert not InterventionObjective.objects.filter(intervention__plan=plan).exists()
    assert Problem.objects.filter(pk=ids["problem"]).exists()  # archived, not deleted
    detail = api_as(clinician).get(f"{PLANS}{plan.pk}/").json()
    assert detail["problems"] == []
    assert detail["interventions"][0]["objectives"] == []
    assert "problems" in detail["signing_blockers"]


# --- Status table --------------------------------------------------------------------------------


def test_an_illegal_move_is_409_naming_the_allowed_ones(clinician, api_as, patient_a):
    plan = active_plan(patient_a, clinician)
    client = api_as(clinician)
    response = client.post(f"{PLANS}{plan.pk}/transition/", {"to_status": "draft"}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["current_status"] == "active"
    assert body["allowed"] == ["under_review", "completed", "discontinued"]
    plan.refresh_from_db()
    assert plan.status == "active"


def test_a_draft_cannot_be_activated_without_signing(clinician, api_as, patient_a):
    plan = signable_plan(patient_a, clinician)
    response = api_as(clinician).post(
        f"{PLANS}{plan.pk}/transition/", {"to_status": "active"}, format="json"
    )
    assert response.status_code == 409
    assert "signed" in response.json()["detail"]
    assert response.json()["allowed"] == ["discontinued"]
    plan.refresh_from_db()
    assert plan.status == "draft"


def test_moves_through_the_table_leave_events(clinician, api_as, patient_a):
    plan = active_plan(patient_a, clinician)
    client = api_as(clinician)
    url = f"{PLANS}{plan.pk}/transition/"
    assert client.post(url, {"to_status": "under_review"}, format="json").status_code == 200
    assert client.post(url, {"to_status": "active"}, format="json").status_code == 200
    refused = client.post(url, {"to_status": "discontinued"}, format="json")
    assert refused.status_code == 400
    assert "reason" in refused.json()["errors"]
    done = client.post(url, {"to_status": "discontinued", "reason": "moved away"}, format="json")
    assert done.status_code == 200
    assert done.json()["allowed_transitions"] == []
    moves = list(
        PlanEvent.objects.filter(plan=plan, kind="transitioned").values_list(
            "from_status", "to_status"
        )
    )
    assert moves[-3:] == [
        ("active", "under_review"),
        ("under_review", "active"),
        ("active", "discontinued"),
    ]
    assert AuditEvent.objects.filter(detail="status -> discontinued", patient_id=patient_a.pk)


def test_a_discontinued_draft_is_closed_to_edits(clinician, api_as, patient_a):
    plan = signable_plan(patient_a, clinician)
    services.plan_transition(plan=plan, to_status="discontinued", user=clinician, reason="dup")
    response = api_as(clinician).patch(
        f"/api/v1/plan-problems/{plan.problems.get().pk}/", {"strengths": "x"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["plan_status"] == "discontinued"


# --- Locking -------------------------------------------------------------------------------------


def _edit_paths(ids):
    day = (timezone.localdate() + dt.timedelta(days=80)).isoformat()
    return {
        "plan patch": ("patch", f"{PLANS}{ids['plan']}/", {"level_of_care": "2.1"}),
        "problem add": (
            "post",
            "/api/v1/plan-problems/",
            {"plan": str(ids["plan"]), "description": "x", "strengths": "y"},
        ),
        "problem patch": ("patch", f"/api/v1/plan-problems/{ids['problem']}/", {"strengths": "z"}),
        "problem archive": ("post", f"/api/v1/plan-problems/{ids['problem']}/archive/", {}),
        "goal add": (
            "post",
            "/api/v1/plan-goals/",
            {"problem": str(ids["problem"]), "patient_words": "x"},
        ),
        "goal patch": ("patch", f"/api/v1/plan-goals/{ids['goal']}/", {"patient_words": "z"}),
        "goal archive": ("post", f"/api/v1/plan-goals/{ids['goal']}/archive/", {}),
        "objective add": (
            "post",
            "/api/v1/plan-objectives/",
            {"goal": str(ids["goal"]), "description": "x", "measure": "y", "target_date": day},
        ),
        "objective patch": (
            "patch",
            f"/api/v1/plan-objectives/{ids['objective']}/",
            {"status": "met", "target_date": day},
        ),
        "objective archive": ("post", f"/api/v1/plan-objectives/{ids['objective']}/archive/", {}),
        "intervention add": (
            "post",
            "/api/v1/plan-interventions/",
            {"plan": str(ids["plan"]), "intervention_type": "met"},
        ),
        "intervention patch": (
            "patch",
            f"/api/v1/plan-interventions/{ids['intervention']}/",
            {"frequency_count": 2},
        ),
        "intervention unlink": (
            "patch",
            f"/api/v1/plan-interventions/{ids['intervention']}/",
            {"objectives": []},
        ),
        "intervention archive": (
            "post",
            f"/api/v1/plan-interventions/{ids['intervention']}/archive/",
            {},
        ),
        "sign again": ("post", f"{PLANS}{ids['plan']}/sign/", {}),
    }


EDIT_PATHS = list(
    _edit_paths(dict.fromkeys(["plan", "problem", "goal", "objective", "intervention"]))
)


@pytest.mark.parametrize("path", EDIT_PATHS)
def test_every_api_edit_of_a_signed_plan_is_409_and_changes_nothing(
    path, clinician, api_as, patient_a
):
    plan = active_plan(patient_a, clinician)
    method, url, body = _edit_paths(_ids(plan))[path]
    before = snapshot(plan)
    response = getattr(api_as(clinician), method)(url, body, format="json")
    assert response.status_code == 409, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert snapshot(plan) == before


def test_a_plan_awaiting_cosignature_is_locked_too(clinician, api_as, patient_a, settings):
    settings.TREATMENT_PLAN_REQUIRES_COSIGN = True
    plan = signable_plan(patient_a, clinician)
    services.plan_sign(plan=plan, user=clinician)
    method, url, body = _edit_paths(_ids(plan))["problem patch"]
    before = snapshot(plan)
    assert getattr(api_as(clinician), method)(url, body, format="json").status_code == 409
    assert snapshot(plan) == before


def test_services_refuse_every_edit_of_a_signed_plan(clinician, patient_a):
    plan = active_plan(patient_a, clinician)
    ids = _ids(plan)
    problem, goal = Problem.objects.get(pk=ids["problem"]), Goal.objects.get(pk=ids["goal"])
    objective = Objective.objects.get(pk=ids["objective"])
    intervention = Intervention.objects.get(pk=ids["intervention"])
    before = snapshot(plan)
    calls = [
        lambda: services.plan_update(plan=plan, user=clinician, level_of_care="2.1"),
        lambda: services.problem_add(plan=plan, user=clinician, description="x"),
        lambda: services.problem_update(problem=problem, user=clinician, strengths="x"),
        lambda: services.goal_add(problem=problem, user=clinician, patient_words="x"),
        lambda: services.goal_update(goal=goal, user=clinician, patient_words="x"),
        lambda: services.objective_add(goal=goal, user=clinician, description="x"),
        lambda: services.objective_update(objective=objective, user=clinician, status="met"),
        lambda: services.intervention_add(plan=plan, user=clinician, intervention_type="met"),
        lambda: services.intervention_update(
            intervention=intervention, user=clinician, objectives=[]
        ),
        lambda: services.plan_part_archive(part=goal, user=clinician),
    ]
    for call in calls:
        with pytest.raises(PlanLocked):
            call()
    assert snapshot(plan) == before


def test_the_models_refuse_changes_to_a_signed_plan_whatever_the_door(clinician, patient_a):
    plan = active_plan(patient_a, clinician)
    ids = _ids(plan)
    before = snapshot(plan)
    locked_plan = TreatmentPlan.objects.get(pk=plan.pk)
    locked_plan.level_of_care = "3.7"
    problem = Problem.objects.get(pk=ids["problem"])
    problem.description = "rewritten after signing"
    objective = Objective.objects.get(pk=ids["objective"])
    attempts = [
        locked_plan.save,
        problem.save,
        lambda: Problem(plan=plan, description="added after signing").save(),
        lambda: Goal(plan=plan, problem=problem, patient_words="x").save(),
        lambda: TreatmentPlan.objects.filter(pk=plan.pk).update(start_date=dt.date(2020, 1, 1)),
        lambda: Objective.objects.filter(plan=plan).update(status="met"),
        lambda: InterventionObjective.objects.filter(intervention__plan=plan).delete(),
        lambda: InterventionObjective.objects.filter(intervention__plan=plan).first().delete(),
        lambda: InterventionObjective(
            intervention_id=ids["intervention"], objective=objective
        ).save(),
    ]
    for attempt in attempts:
        with pytest.raises(PlanLocked):
            attempt()
    assert snapshot(plan) == before


def test_lifecycle_fields_still_move_on_a_locked_plan(clinician, patient_a):
    plan = active_plan(patient_a, clinician)
    TreatmentPlan.objects.filter(pk=plan.pk).update(next_review_due=dt.date(2030, 1, 1))
    plan.refresh_from_db()
    assert plan.next_review_due == dt.date(2030, 1, 1)


def test_a_merge_moves_a_signed_plan_to_the_surviving_record(
    clinician, clinic_admin, patient_a, site_a
):
    duplicate = register_patient(site_a)
    plan = active_plan(duplicate, clinician)
    content = Problem.objects.filter(plan=plan).values("description", "strengths").get()
    patient_merge(survivor=patient_a, duplicate=duplicate, user=clinic_admin, reason="same")
    plan.refresh_from_db()
    assert plan.patient_id == patient_a.pk
    assert plan.status == "active" and plan.signed_at is not None
    assert Problem.objects.filter(plan=plan).values("description", "strengths").get() == content


def test_clinical_records_are_never_deleted(clinician, patient_a):
    from clinic.models import ProtectedDeletion

    plan = signable_plan(patient_a, clinician)
    with pytest.raises(ProtectedDeletion):
        plan.delete()
    with pytest.raises(ProtectedDeletion):
        TreatmentPlan.objects.all().delete()
    with pytest.raises(ProtectedDeletion):
        plan.problems.get().delete()
    with pytest.raises(ProtectedDeletion):
        PlanEvent.objects.filter(plan=plan).first().delete()
    assert TreatmentPlan.objects.filter(pk=plan.pk).exists()


def test_staff_at_several_sites_may_be_responsible_at_any_of_them(
    clinician, patient_a, site_a, site_b
):
    roaming = staff_user(roles=["clinician"], sites=[site_a, site_b], username="roaming")
    plan = draft_plan(patient_a, clinician)
    intervention = services.intervention_add(
        plan=plan, user=clinician, intervention_type="peer_support", responsible_staff=roaming
    )
    assert intervention.responsible_staff == roaming
    assert intervention.frequency_display == "weekly for 12 weeks"
