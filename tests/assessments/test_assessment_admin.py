"""The admin: administer an instrument, read assessments, work alerts under the same rules."""

import re

import pytest

from assessments.models import Alert, Assessment
from clinic.access import Role
from clinic.models import AuditEvent
from tests.factories import phq9_answers, staff_user, submit_assessment

ADMINISTER = "/admin/assessments/assessment/administer/"


def step_two(client, patient, instrument):
    return client.get(ADMINISTER, {"patient": str(patient.pk), "instrument": instrument})


def phq9_post(patient, **answers):
    data = {
        "patient": str(patient.pk),
        "instrument": "phq9",
        "setting": "intake",
        "administered_at_0": "",
        "administered_at_1": "",
    }
    data.update({f"answers-{code}": str(value) for code, value in answers.items()})
    return data


# --- Administer instrument -----------------------------------------------------------------------


def test_step_one_offers_patient_and_instrument(clinician, client, patient_a):
    client.force_login(clinician)
    response = client.get(ADMINISTER)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="patient"' in html
    assert 'value="cows"' in html and 'value="cssrs_recorded"' in html


def test_the_phq9_form_is_radios_not_number_boxes(clinician, client, patient_a):
    client.force_login(clinician)
    response = step_two(client, patient_a, "phq9")
    assert response.status_code == 200
    html = response.content.decode()
    for n in range(1, 10):
        radios = re.findall(rf'type="radio" name="answers-item_{n}" value="(\d)"', html)
        assert radios == ["0", "1", "2", "3"], n
    assert 'type="number"' not in html
    assert "Thoughts of death or self-harm" in html


def test_the_cows_pulse_is_the_one_bounded_number_input(clinician, client, patient_a):
    client.force_login(clinician)
    html = step_two(client, patient_a, "cows").content.decode()
    numbers = re.findall(r'<input type="number" name="([^"]+)"[^>]*>', html)
    assert numbers == ["answers-resting_pulse_bpm"]
    assert 'min="20"' in html and 'max="250"' in html
    assert re.findall(r'type="radio" name="answers-item_3" value="(\d)"', html) == [
        "0",
        "1",
        "3",
        "5",
    ]


def test_posting_scores_stores_and_shows_the_result_at_once(clinician, client, patient_a):
    client.force_login(clinician)
    answers = {f"item_{n}": 2 for n in range(1, 9)} | {"item_9": 1}
    response = client.post(ADMINISTER, phq9_post(patient_a, **answers), follow=True)
    assert response.status_code == 200
    assessment = Assessment.objects.get()
    assert assessment.total == 17
    assert assessment.recorded_by == clinician
    html = response.content.decode()
    assert "Score: 17" in html
    assert "Moderately severe" in html
    assert "suicide_risk" in html  # the flag
    assert "SUICIDE RISK" in html and "A clinician must acknowledge" in html
    alert = Alert.objects.get()
    assert f"/admin/assessments/alert/{alert.pk}/change/" in html
    assert AuditEvent.objects.filter(
        action="read", object_type="assessment", object_id=str(assessment.pk), source="admin"
    ).exists()


def test_an_invalid_post_shows_errors_next_to_fields_and_stores_nothing(
    clinician, client, patient_a
):
    client.force_login(clinician)
    answers = {f"item_{n}": 0 for n in range(1, 9)}  # item 9 missing
    answers["item_2"] = 7  # not a choice
    response = client.post(ADMINISTER, phq9_post(patient_a, **answers))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nothing was saved" in html
    item_9 = html.split('id="item-item_9"')[1].split('class="item')[0]
    assert "errorlist" in item_9 and "required" in item_9
    item_2 = html.split('id="item-item_2"')[1].split('class="item')[0]
    assert "errorlist" in item_2
    item_1 = html.split('id="item-item_1"')[1].split('class="item')[0]
    assert "errorlist" not in item_1
    assert not Assessment.objects.exists()
    assert not Alert.objects.exists()


def test_service_errors_land_next_to_the_fields(clinician, client, patient_a):
    """ASQ item 5 is optional in the form but required by the service after a positive screen."""
    client.force_login(clinician)
    data = {
        "patient": str(patient_a.pk),
        "instrument": "asq",
        "setting": "intake",
        "answers-item_1": "1",
        "answers-item_2": "0",
        "answers-item_3": "0",
        "answers-item_4": "0",
    }
    html = client.post(ADMINISTER, data).content.decode()
    item_5 = html.split('id="item-item_5"')[1]
    assert "item_5 is required when any of item_1 to item_4 is yes or declined." in item_5
    assert not Assessment.objects.exists()


def test_a_future_time_is_an_error_on_the_time_field(clinician, client, patient_a):
    client.force_login(clinician)
    data = phq9_post(patient_a, **phq9_answers())
    data.update({"administered_at_0": "2999-01-01", "administered_at_1": "10:00"})
    html = client.post(ADMINISTER, data).content.decode()
    assert "cannot be in the future" in html
    assert not Assessment.objects.exists()


def test_a_recorded_cssrs_level_is_three_radios(clinician, client, patient_a):
    client.force_login(clinician)
    html = step_two(client, patient_a, "cssrs_recorded").content.decode()
    assert re.findall(r'name="answers-risk_level" value="(\w+)"', html) == [
        "low",
        "moderate",
        "high",
    ]
    data = {
        "patient": str(patient_a.pk),
        "instrument": "cssrs_recorded",
        "setting": "follow_up",
        "answers-risk_level": "high",
    }
    response = client.post(ADMINISTER, data, follow=True)
    assert "High risk" in response.content.decode()
    assert Alert.objects.get().code == "cssrs_high"


def test_a_patient_at_another_site_cannot_be_picked(outsider, client, patient_a):
    client.force_login(outsider)
    response = step_two(client, patient_a, "phq9")
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    response = client.post(ADMINISTER, phq9_post(patient_a, **phq9_answers()))
    assert not Assessment.objects.exists()


@pytest.mark.parametrize(("persona", "status"), [("front_desk", 403), ("clinic_admin", 403)])
def test_roles_without_add_cannot_administer(persona, status, personas, client, patient_a):
    client.force_login(personas[persona])
    assert client.get(ADMINISTER).status_code == status
    response = client.post(ADMINISTER, phq9_post(patient_a, **phq9_answers()))
    assert response.status_code == status
    assert not Assessment.objects.exists()


def test_medical_staff_may_administer(medical_staff, client, patient_a):
    client.force_login(medical_staff)
    response = client.post(ADMINISTER, phq9_post(patient_a, **phq9_answers()))
    assert response.status_code == 302
    assert Assessment.objects.get().recorded_by == medical_staff


# --- Reading assessments -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [("front_desk", 403), ("clinician", 200), ("medical_staff", 200), ("clinic_admin", 200)],
)
def test_assessment_pages_follow_the_matrix(persona, status, personas, client, patient_a):
    assessment = submit_assessment(patient_a, personas["clinician"], answers=phq9_answers(item_9=1))
    client.force_login(personas[persona])
    assert client.get("/admin/assessments/assessment/").status_code == status
    assert (
        client.get(f"/admin/assessments/assessment/{assessment.pk}/change/").status_code == status
    )
    assert client.get("/admin/assessments/alert/").status_code == status
    assert client.get("/admin/assessments/assessment/add/").status_code == 403


def test_the_changelist_shows_score_band_flags_and_alerts_per_patient(
    clinician, client, patient_a, site_a
):
    from tests.factories import register_patient

    mine = submit_assessment(patient_a, clinician, answers=phq9_answers(item_9=1, each=2))
    submit_assessment(register_patient(site_a), clinician)
    client.force_login(clinician)
    response = client.get(
        "/admin/assessments/assessment/", {"patient__id__exact": str(patient_a.pk)}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Administer instrument" in html
    assert "suicide_risk" in html and "SUICIDE RISK" in html
    assert response.context["cl"].result_count == 1
    reads = AuditEvent.objects.filter(action="read", object_type="assessment", source="admin")
    assert list(reads.values_list("object_id", flat=True)) == [str(mine.pk)]


def test_the_detail_page_is_read_only_and_audited(clinician, client, patient_a):
    assessment = submit_assessment(patient_a, clinician, answers=phq9_answers(item_9=1))
    client.force_login(clinician)
    response = client.get(f"/admin/assessments/assessment/{assessment.pk}/change/")
    html = response.content.decode()
    assert "Total 1" in html and "Minimal" in html
    assert 'name="_save"' not in html
    before = Assessment.objects.filter(pk=assessment.pk).values().get()
    post = client.post(f"/admin/assessments/assessment/{assessment.pk}/change/", {"total": 27})
    assert post.status_code == 403
    assert Assessment.objects.filter(pk=assessment.pk).values().get() == before
    assert AuditEvent.objects.filter(
        action="read", object_type="assessment", object_id=str(assessment.pk)
    ).exists()


def test_an_outsider_gets_404_for_another_sites_assessment(outsider, clinician, client, patient_a):
    assessment = submit_assessment(patient_a, clinician)
    client.force_login(outsider)
    assert client.get(f"/admin/assessments/assessment/{assessment.pk}/change/").status_code == 404
    url = f"/admin/assessments/assessment/administer/result/{assessment.pk}/"
    assert client.get(url).status_code == 404


# --- Working alerts in the admin -----------------------------------------------------------------


@pytest.fixture
def suicide_alert(patient_a, clinician):
    [alert] = submit_assessment(patient_a, clinician, answers=phq9_answers(item_9=1)).alerts_raised
    return alert


def test_open_alerts_come_first_with_suicide_risk_on_top(
    clinician, client, patient_a, suicide_alert
):
    from assessments.services.alert import alert_raise

    critical = alert_raise(
        patient=patient_a, code="hys_law_pattern", kind="liver", severity="critical", text="Liver."
    )
    low = alert_raise(
        patient=patient_a, code="phq2_positive", kind="mood", severity="low", text="t"
    )
    client.force_login(clinician)
    response = client.get("/admin/assessments/alert/")
    assert [a.pk for a in response.context["cl"].result_list] == [
        suicide_alert.pk,
        critical.pk,
        low.pk,
    ]


def test_a_clinician_acknowledges_then_resolves_from_the_alert_page(
    clinician, client, suicide_alert
):
    client.force_login(clinician)
    page = client.get(f"/admin/assessments/alert/{suicide_alert.pk}/change/").content.decode()
    assert "/acknowledge/" in page
    url = f"/admin/assessments/alert/{suicide_alert.pk}/acknowledge/"
    assert client.get(url).status_code == 200
    assert client.post(url, {"note": "Seen today.", "apply": "1"}).status_code == 302
    suicide_alert.refresh_from_db()
    assert (suicide_alert.status, suicide_alert.acknowledged_by) == ("acknowledged", clinician)
    assert suicide_alert.history.first().history_user == clinician
    resolve = f"/admin/assessments/alert/{suicide_alert.pk}/resolve/"
    client.post(resolve, {"note": "Safety plan in place.", "apply": "1"})
    suicide_alert.refresh_from_db()
    assert suicide_alert.status == "resolved"


def test_medical_staff_cannot_acknowledge_a_suicide_risk_alert_in_the_admin(
    medical_staff, client, suicide_alert
):
    client.force_login(medical_staff)
    page = client.get(f"/admin/assessments/alert/{suicide_alert.pk}/change/").content.decode()
    assert "/acknowledge/" not in page
    url = f"/admin/assessments/alert/{suicide_alert.pk}/acknowledge/"
    response = client.post(url, {"note": "x", "apply": "1"}, follow=True)
    assert "Only a clinician may acknowledge" in response.content.decode()
    suicide_alert.refresh_from_db()
    assert suicide_alert.status == "open"
    assert suicide_alert.history.count() == 1


def test_medical_staff_who_are_clinicians_may(site_a, client, suicide_alert):
    both = staff_user(roles=[Role.MEDICAL_STAFF, Role.CLINICIAN], sites=[site_a])
    client.force_login(both)
    client.post(f"/admin/assessments/alert/{suicide_alert.pk}/acknowledge/", {"apply": "1"})
    suicide_alert.refresh_from_db()
    assert suicide_alert.status == "acknowledged"


def test_the_bulk_actions_obey_the_same_rules(
    medical_staff, clinician, client, patient_a, suicide_alert
):
    from assessments.services.alert import alert_raise

    withdrawal = alert_raise(
        patient=patient_a, code="cows_medical_review", kind="withdrawal", severity="high", text="t"
    )
    client.force_login(medical_staff)
    selected = [str(suicide_alert.pk), str(withdrawal.pk)]
    confirm = client.post(
        "/admin/assessments/alert/",
        {"action": "acknowledge_selected", "_selected_action": selected},
    )
    assert confirm.status_code == 200
    assert "only a clinician may acknowledge this alert" in confirm.content.decode()
    response = client.post(
        "/admin/assessments/alert/",
        {"action": "acknowledge_selected", "_selected_action": selected, "apply": "1", "note": ""},
        follow=True,
    )
    assert response.status_code == 200
    suicide_alert.refresh_from_db()
    withdrawal.refresh_from_db()
    assert suicide_alert.status == "open"
    assert withdrawal.status == "acknowledged"
    assert withdrawal.acknowledged_by == medical_staff


def test_clinic_admins_see_alerts_but_cannot_work_them(clinic_admin, client, suicide_alert):
    client.force_login(clinic_admin)
    listing = client.get("/admin/assessments/alert/")
    assert listing.status_code == 200
    assert "acknowledge_selected" not in listing.content.decode()
    url = f"/admin/assessments/alert/{suicide_alert.pk}/acknowledge/"
    assert client.post(url, {"apply": "1"}).status_code == 403
    suicide_alert.refresh_from_db()
    assert suicide_alert.status == "open"


def test_resolved_alerts_leave_the_default_list(clinician, client, patient_a):
    from assessments.services.alert import alert_raise, alert_resolve

    alert = alert_raise(
        patient=patient_a, code="phq2_positive", kind="mood", severity="low", text="t"
    )
    alert_resolve(alert=alert, user=clinician, note="PHQ-9 given.")
    client.force_login(clinician)
    assert list(client.get("/admin/assessments/alert/").context["cl"].result_list) == []
    everything = client.get("/admin/assessments/alert/", {"state": "all"})
    assert [a.pk for a in everything.context["cl"].result_list] == [alert.pk]


def test_the_alert_page_offers_only_the_legal_next_step(clinician, client, suicide_alert):
    client.force_login(clinician)
    page = client.get(f"/admin/assessments/alert/{suicide_alert.pk}/change/").content.decode()
    assert "/acknowledge/" in page and "/resolve/" not in page
    client.post(f"/admin/assessments/alert/{suicide_alert.pk}/acknowledge/", {"apply": "1"})
    page = client.get(f"/admin/assessments/alert/{suicide_alert.pk}/change/").content.decode()
    assert "/acknowledge/" not in page and "/resolve/" in page


def test_the_patient_picker_searches_only_the_users_sites(clinician, client, patient_a, patient_b):
    client.force_login(clinician)
    params = {"app_label": "assessments", "model_name": "assessment", "field_name": "patient"}
    found = client.get("/admin/autocomplete/", {**params, "term": ""}).json()["results"]
    assert [r["id"] for r in found] == [str(patient_a.pk)]


def test_a_malformed_patient_parameter_is_ignored(clinician, client):
    client.force_login(clinician)
    assert client.get(ADMINISTER, {"patient": "not-a-uuid"}).status_code == 200
    response = client.get(ADMINISTER, {"patient": "not-a-uuid", "instrument": "phq9"})
    assert response.status_code == 200
    assert 'id="id_patient_error"' in response.content.decode()
