"""Treatment plans follow the permission matrix persona by persona, audit every read, keep history
with the acting user, and read a plan in a constant number of queries."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinic import access
from clinic.access import Role
from clinic.models import AuditEvent
from tests.factories import active_plan, register_patient, signable_plan
from treatment.models import Goal, Intervention, Objective, Problem, TreatmentPlan
from treatment.services import plan as services

PLANS = "/api/v1/treatment-plans/"
PERSONAS = ["front_desk", "clinician", "medical_staff", "clinic_admin", "integration", "outsider"]
PERSONA_ROLE = {
    "front_desk": Role.FRONT_DESK,
    "clinician": Role.CLINICIAN,
    "medical_staff": Role.MEDICAL_STAFF,
    "clinic_admin": Role.CLINIC_ADMIN,
    "integration": Role.INTEGRATION,
    "outsider": Role.CLINICIAN,
}


def client_for(persona, personas, api_as, token_api):
    return token_api if persona == "integration" else api_as(personas[persona])


def everything():
    """Rows and history of every plan model: a refused request leaves all of it as it was."""
    models = [TreatmentPlan, Problem, Goal, Objective, Intervention]
    return [
        (m.objects.count(), m.history.count(), sorted(m.objects.values_list("updated_at")))
        for m in models
    ]


OPERATIONS = {
    "list": ("view", "get", PLANS, None),
    "retrieve": ("view", "get", PLANS + "{plan}/", None),
    "create": ("add", "post", PLANS, {"patient": "{patient}", "level_of_care": "1"}),
    "from_recommendations": (
        "add",
        "post",
        PLANS + "from-recommendations/",
        {
            "patient": "{patient}",
            "recommendations": [
                {
                    "intervention_type": "met",
                    "reasons": [{"rule_id": "low_readiness_met_first"}],
                }
            ],
        },
    ),
    "partial_update": ("change", "patch", PLANS + "{plan}/", {"level_of_care": "2.1"}),
    "sign": ("change", "post", PLANS + "{plan}/sign/", {}),
    "transition": (
        "change",
        "post",
        PLANS + "{plan}/transition/",
        {"to_status": "discontinued", "reason": "test"},
    ),
    "add_problem": (
        "add",
        "post",
        "/api/v1/plan-problems/",
        {"plan": "{plan}", "description": "x", "strengths": "y"},
    ),
    "patch_goal": ("change", "patch", "/api/v1/plan-goals/{goal}/", {"patient_words": "mine"}),
    "list_objectives": ("view", "get", "/api/v1/plan-objectives/?plan={plan}", None),
}


def _fill(value, ids):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return value


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_the_plan_api_follows_the_matrix(
    persona, operation, personas, api_as, token_api, clinician, site_a
):
    patient = register_patient(site_a)
    plan = signable_plan(patient, clinician)
    other = register_patient(site_a)  # a patient without a draft, for the creates
    ids = {
        "plan": plan.pk,
        "goal": Goal.objects.get(plan=plan).pk,
        "patient": other.pk,
    }
    action, method, url, body = OPERATIONS[operation]
    client = client_for(persona, personas, api_as, token_api)
    before = everything()
    response = getattr(client, method)(_fill(url, ids), _fill(body, ids), format="json")

    may = access.allowed(PERSONA_ROLE[persona], "treatment_plan", action)
    if not may:
        assert response.status_code == 403, response.content
    elif persona == "outsider" and method == "get" and "{plan}/" not in url:
        assert response.status_code == 200
        assert response.json()["results"] == []
        return
    elif persona == "outsider":
        assert response.status_code in {400, 404}, response.content
    else:
        assert response.status_code in {200, 201}, response.content
        return
    assert everything() == before, "a refused request changed something"
    assert response["Content-Type"] == "application/problem+json"


def test_delete_is_not_offered(clinician, api_as, patient_a):
    plan = signable_plan(patient_a, clinician)
    client = api_as(clinician)
    # Clinicians hold no archive right on plans, so the permission answers before the method.
    assert client.delete(f"{PLANS}{plan.pk}/").status_code in {403, 405}
    problem = plan.problems.get()
    assert client.delete(f"/api/v1/plan-problems/{problem.pk}/").status_code in {403, 405}
    assert TreatmentPlan.objects.filter(pk=plan.pk).exists()
    assert Problem.objects.filter(pk=problem.pk, archived_at__isnull=True).exists()


# --- Audit and history ---------------------------------------------------------------------------


def test_reads_are_audited_one_row_per_plan(clinician, api_as, site_a):
    plans = [signable_plan(register_patient(site_a), clinician) for _ in range(2)]
    client = api_as(clinician)
    client.get(PLANS)
    reads = AuditEvent.objects.filter(action="read", object_type="treatment_plan")
    assert sorted(reads.values_list("object_id", flat=True)) == sorted(str(p.pk) for p in plans)
    assert {r.patient_id for r in reads} == {p.patient_id for p in plans}
    assert {(r.site_id, r.actor_id, r.source) for r in reads} == {(site_a.pk, clinician.pk, "api")}
    client.get(f"{PLANS}{plans[0].pk}/")
    assert reads.filter(object_id=str(plans[0].pk)).count() == 2


def test_part_reads_are_audited_with_the_patient(clinician, api_as, patient_a):
    plan = signable_plan(patient_a, clinician)
    objective = Objective.objects.get(plan=plan)
    api_as(clinician).get(f"/api/v1/plan-objectives/{objective.pk}/")
    row = AuditEvent.objects.get(action="read", object_id=str(objective.pk))
    assert (row.object_type, row.patient_id) == ("treatment_plan", patient_a.pk)


def test_writes_write_audit_events_without_patient_data(clinician, api_as, patient_a):
    plan = signable_plan(patient_a, clinician)
    api_as(clinician).post(f"{PLANS}{plan.pk}/sign/", {}, format="json")
    events = AuditEvent.objects.filter(patient_id=patient_a.pk).exclude(action="read")
    assert {"plan_problem", "plan_goal", "plan_objective", "plan_intervention"} <= set(
        events.values_list("object_type", flat=True)
    )
    words = Goal.objects.get(plan=plan).patient_words
    assert not events.filter(detail__contains=words[:12]).exists()
    assert events.filter(detail="signed", actor=clinician).count() == 1


def test_every_model_keeps_history_with_the_acting_user(clinician, api_as, patient_a):
    plan = signable_plan(patient_a, clinician)
    client = api_as(clinician)
    goal = Goal.objects.get(plan=plan)
    client.patch(f"/api/v1/plan-goals/{goal.pk}/", {"patient_words": "Be there"}, format="json")
    latest = goal.history.first()
    assert (latest.history_type, latest.history_user, latest.patient_words) == (
        "~",
        clinician,
        "Be there",
    )
    assert latest.prev_record.patient_words != "Be there"
    for model in (TreatmentPlan, Problem, Objective, Intervention):
        row = model.history.first()
        assert row.history_user == clinician, model.__name__
    intervention = Intervention.objects.get(plan=plan)
    links = intervention.objective_links.model.history.filter(intervention_id=intervention.pk)
    assert links.filter(history_user=clinician).exists()


# --- Query counts --------------------------------------------------------------------------------


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx)


def test_retrieve_reads_a_constant_number_of_queries(clinician, api_as, site_a):
    small = active_plan(register_patient(site_a), clinician)
    big = active_plan(
        register_patient(site_a), clinician, problems=3, objectives=3, interventions=3
    )
    for plan in (small, big):
        progress = [{"objective": o.pk, "status": "met"} for o in plan.objectives.all()]
        services.plan_review(plan=plan, user=clinician, progress=progress, outcome="revise")
    client = api_as(clinician)
    _queries(client, f"{PLANS}{small.pk}/")  # warm the session and role caches
    assert _queries(client, f"{PLANS}{small.pk}/") == _queries(client, f"{PLANS}{big.pk}/")


def test_lists_read_a_constant_number_of_queries(clinician, api_as, site_a):
    client = api_as(clinician)
    signable_plan(register_patient(site_a), clinician)
    _queries(client, PLANS)
    plans, parts = _queries(client, PLANS), _queries(client, "/api/v1/plan-interventions/")
    for _ in range(4):
        signable_plan(register_patient(site_a), clinician, interventions=2)
    assert _queries(client, PLANS) == plans
    assert _queries(client, "/api/v1/plan-interventions/") == parts


def test_overdue_flag_is_computed_against_today(clinician, api_as, patient_a):
    plan = active_plan(patient_a, clinician)
    TreatmentPlan.objects.filter(pk=plan.pk).update(
        next_review_due=plan.start_date - dt.timedelta(days=1)
    )
    body = api_as(clinician).get(f"{PLANS}{plan.pk}/").json()
    assert body["review_overdue"] is True
