"""The clinician's plan editor in the admin: inlines while a draft, read-only once signed, and
buttons that call the services (sign, acknowledge, review, revise, status), plus reviews due."""

import datetime as dt

from django.utils import timezone

from clinic.models import AuditEvent
from tests.admin_utils import admin_post_data
from tests.factories import active_plan, draft_plan, register_patient, signable_plan
from treatment.models import Goal, PlanReview, Problem, TreatmentPlan
from treatment.services import plan as services

BASE = "/admin/treatment/treatmentplan/"


def change_url(plan):
    return f"{BASE}{plan.pk}/change/"


def test_a_clinician_starts_a_plan_in_the_admin(clinician, client, patient_a):
    client.force_login(clinician)
    data = admin_post_data(client.get(f"{BASE}add/"))
    data.update(
        patient=str(patient_a.pk),
        level_of_care="2.1",
        start_date=timezone.localdate().isoformat(),
    )
    response = client.post(f"{BASE}add/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    plan = TreatmentPlan.objects.get()
    assert plan.level_of_care == "2.1" and plan.status == "draft"
    assert plan.history.get().history_user == clinician
    assert plan.events.get().kind == "created"


def test_the_add_form_shows_the_services_rules_next_to_the_fields(clinician, client, patient_a):
    draft_plan(patient_a, clinician)
    client.force_login(clinician)
    data = admin_post_data(client.get(f"{BASE}add/"))
    data.update(patient=str(patient_a.pk), level_of_care="1", start_date="2001-01-01")
    response = client.post(f"{BASE}add/", data)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "start_date" in form.errors
    assert "already has a draft plan" in str(form.non_field_errors())
    assert TreatmentPlan.objects.count() == 1


def test_draft_parts_are_edited_inline_through_the_services(clinician, client, patient_a):
    plan = signable_plan(patient_a, clinician)
    client.force_login(clinician)
    problem = plan.problems.get()
    data = admin_post_data(client.get(change_url(plan)))
    data.update(
        {
            "problems-0-strengths": "Supportive sister",
            "goals-TOTAL_FORMS": "2",
            "goals-1-problem": str(problem.pk),
            "goals-1-patient_words": "Coach my son's team again",
            "goals-1-position": "2",
        }
    )
    response = client.post(change_url(plan), data)
    assert response.status_code == 302, response.content
    problem.refresh_from_db()
    assert problem.strengths == "Supportive sister"
    assert problem.history.first().history_user == clinician
    new_goal = Goal.objects.get(patient_words="Coach my son's team again")
    assert new_goal.plan_id == plan.pk
    assert AuditEvent.objects.filter(object_type="plan_goal", object_id=str(new_goal.pk)).exists()


def test_removing_a_part_in_the_admin_archives_it(clinician, client, patient_a):
    plan = signable_plan(patient_a, clinician)
    client.force_login(clinician)
    data = admin_post_data(client.get(change_url(plan)), **{"objectives-0-remove": "on"})
    assert client.post(change_url(plan), data).status_code == 302
    assert plan.objectives.get().archived_at is not None


def test_a_signed_plan_is_read_only_in_the_admin(clinician, client, patient_a):
    plan = active_plan(patient_a, clinician)
    client.force_login(clinician)
    page = client.get(change_url(plan))
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert all(not inline.has_change_permission for inline in page.context["inline_admin_formsets"])
    before = list(Problem.objects.filter(plan=plan).values())
    response = client.post(
        change_url(plan),
        {"level_of_care": "3.7", "problems-TOTAL_FORMS": "1", "problems-0-strengths": "x"},
    )
    assert response.status_code == 403
    assert list(Problem.objects.filter(plan=plan).values()) == before
    assert TreatmentPlan.objects.get(pk=plan.pk).level_of_care == "1"


def test_the_sign_button_lists_what_is_missing_then_signs(clinician, client, patient_a):
    plan = draft_plan(patient_a, clinician)
    client.force_login(clinician)
    url = f"{BASE}{plan.pk}/sign/"
    page = client.get(url)
    assert "Add at least one problem." in page.content.decode()
    refused = client.post(url, {})
    assert refused.status_code == 200
    assert "Add at least one intervention." in str(refused.context["form"].non_field_errors())
    assert TreatmentPlan.objects.get(pk=plan.pk).signed_at is None

    ready = signable_plan(register_patient(patient_a.site), clinician)
    response = client.post(f"{BASE}{ready.pk}/sign/", {})
    assert response.status_code == 302
    assert TreatmentPlan.objects.get(pk=ready.pk).status == "active"


def test_acknowledge_review_and_revise_buttons_call_the_services(clinician, client, patient_a):
    plan = active_plan(patient_a, clinician)
    client.force_login(clinician)
    today = timezone.localdate().isoformat()
    ack = client.post(
        f"{BASE}{plan.pk}/acknowledge/", {"method": "verbal", "acknowledged_on": today}
    )
    assert ack.status_code == 302
    assert TreatmentPlan.objects.get(pk=plan.pk).acknowledgement_method == "verbal"

    objective = plan.objectives.get()
    review = client.post(
        f"{BASE}{plan.pk}/review/",
        {
            "reviewed_on": today,
            "outcome": "continue",
            f"status_{objective.pk}": "in_progress",
            f"note_{objective.pk}": "halfway",
        },
    )
    assert review.status_code == 302, review.context["form"].errors
    assert PlanReview.objects.get(plan=plan).progress.get().note == "halfway"

    revise = client.post(f"{BASE}{plan.pk}/revise/", {"reason": "new goal"})
    new = TreatmentPlan.objects.get(supersedes=plan)
    assert revise.status_code == 302 and revise["Location"] == change_url(new)


def test_the_status_button_offers_only_legal_moves(clinician, client, patient_a):
    plan = active_plan(patient_a, clinician)
    client.force_login(clinician)
    page = client.get(f"{BASE}{plan.pk}/status/")
    choices = [c[0] for c in page.context["form"].fields["to_status"].choices]
    assert choices == ["under_review", "completed", "discontinued"]
    refused = client.post(f"{BASE}{plan.pk}/status/", {"to_status": "discontinued"})
    assert "reason" in refused.context["form"].errors
    done = client.post(f"{BASE}{plan.pk}/status/", {"to_status": "completed"})
    assert done.status_code == 302
    assert TreatmentPlan.objects.get(pk=plan.pk).status == "completed"


def test_reviews_due_are_listed_for_the_clinicians_sites(clinician, client, patient_a, site_a):
    late = active_plan(patient_a, clinician)
    TreatmentPlan.objects.filter(pk=late.pk).update(
        next_review_due=timezone.localdate() - dt.timedelta(days=2)
    )
    calm = active_plan(register_patient(site_a), clinician)
    client.force_login(clinician)
    page = client.get(f"{BASE}due/")
    assert page.status_code == 200
    assert [p.pk for p in page.context["overdue"]] == [late.pk]
    assert calm.pk not in [p.pk for p in page.context["due_soon"]]
    assert AuditEvent.objects.filter(action="read", object_id=str(late.pk), source="admin")
    listed = client.get(f"{BASE}?review=overdue")
    assert [p.pk for p in listed.context["cl"].result_list] == [late.pk]


def test_medical_staff_see_plans_but_press_no_buttons(medical_staff, clinician, client, patient_a):
    plan = signable_plan(patient_a, clinician)
    client.force_login(medical_staff)
    page = client.get(change_url(plan))
    assert page.status_code == 200
    assert b"/sign/" not in page.content
    assert client.post(f"{BASE}{plan.pk}/sign/", {}).status_code == 403
    assert TreatmentPlan.objects.get(pk=plan.pk).signed_at is None


def test_front_desk_and_other_sites_have_no_access(
    front_desk, outsider, clinician, client, patient_a
):
    plan = signable_plan(patient_a, clinician)
    client.force_login(front_desk)
    assert client.get(BASE).status_code == 403
    client.force_login(outsider)
    assert client.get(change_url(plan)).status_code == 404
    assert client.post(f"{BASE}{plan.pk}/sign/", {}).status_code == 404
    assert services.plan_signing_errors(plan) == {}
    assert TreatmentPlan.objects.get(pk=plan.pk).signed_at is None


def test_every_button_page_renders_and_audits_the_read(clinician, client, patient_a):
    plan = active_plan(patient_a, clinician)
    client.force_login(clinician)
    page = client.get(change_url(plan)).content.decode()
    for name in ("acknowledge", "review", "revise", "status"):
        assert f"{plan.pk}/{name}/" in page
        assert client.get(f"{BASE}{plan.pk}/{name}/").status_code == 200, name
    assert f"{plan.pk}/sign/" not in page
    reads = AuditEvent.objects.filter(action="read", object_id=str(plan.pk), source="admin")
    assert reads.count() == 5
