"""The front desk's admin: registration with the duplicate step, search, status, merge, export."""

import csv
import datetime as dt
import io

from clinic.models import AuditEvent
from patients.models import Coverage, EmergencyContact, Patient
from tests.admin_utils import admin_post_data
from tests.factories import register_patient

ADD_URL = "/admin/patients/patient/add/"


def registration(client, **overrides):
    data = admin_post_data(client.get(ADD_URL))
    data.update(
        {
            "first_name": "Odette",
            "last_name": "Fairweather",
            "date_of_birth": "1970-04-04",
            "sex_at_birth": "female",
            "preferred_language": "en",
            "preferred_contact_method": "phone",
            "referral_source": "self",
        }
    )
    data.update(overrides)
    return data


def test_front_desk_registers_a_patient_in_the_admin(front_desk, client, site_a):
    client.force_login(front_desk)
    data = registration(
        client,
        site=site_a.pk,
        phone_mobile="312 555 0123",
        **{
            "emergency_contacts-TOTAL_FORMS": "1",
            "emergency_contacts-0-name": "Gus Fairweather",
            "emergency_contacts-0-relationship": "spouse",
            "emergency_contacts-0-phone": "(312) 555-0199",
        },
    )
    response = client.post(ADD_URL, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    patient = Patient.objects.get()
    assert patient.mrn == "SITEA-000001"
    assert patient.phone_mobile == "+13125550123"
    assert patient.history.first().history_user == front_desk
    contact = EmergencyContact.objects.get()
    assert contact.phone == "+13125550199"
    assert contact.history.first().history_user == front_desk


def test_the_admin_shows_duplicates_and_asks_before_registering(front_desk, client, site_a):
    existing = register_patient(
        site_a, first_name="Odette", last_name="Fairweather", date_of_birth=dt.date(1970, 4, 4)
    )
    client.force_login(front_desk)
    data = registration(client, site=site_a.pk, first_name="odette")
    warned = client.post(ADD_URL, data)
    assert warned.status_code == 200
    page = warned.content.decode()
    assert "Possible duplicates found" in page
    assert existing.mrn in page
    assert Patient.objects.count() == 1
    data["confirm_not_duplicate"] = "on"
    assert client.post(ADD_URL, data).status_code == 302
    assert Patient.objects.count() == 2


def test_overlapping_primary_coverage_is_shown_next_to_the_row(front_desk, client, patient_a):
    Coverage.objects.create(
        patient=patient_a, payer_name="A", member_id="1", effective_date=dt.date(2025, 1, 1)
    )
    client.force_login(front_desk)
    url = f"/admin/patients/patient/{patient_a.pk}/change/"
    data = admin_post_data(client.get(url))
    data.update(
        {
            "coverages-TOTAL_FORMS": str(int(data["coverages-TOTAL_FORMS"]) + 1),
            "coverages-1-priority": "primary",
            "coverages-1-payer_name": "B",
            "coverages-1-member_id": "2",
            "coverages-1-subscriber_relationship": "self",
            "coverages-1-effective_date": "2025-03-01",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 200
    assert "overlap another primary coverage" in response.content.decode()
    assert Coverage.objects.count() == 1


def test_admin_search_finds_by_name_with_accents(front_desk, client, site_a):
    register_patient(site_a, first_name="Zoë", last_name="Ångström")
    register_patient(site_a, first_name="Carl", last_name="Berg")
    client.force_login(front_desk)
    response = client.get("/admin/patients/patient/", {"q": "angstrom"})
    assert [p.last_name for p in response.context["cl"].result_list] == ["Ångström"]


def test_export_is_a_csv_and_is_audited(front_desk, client, patient_a):
    client.force_login(front_desk)
    response = client.post(
        "/admin/patients/patient/",
        {"action": "export_demographics_csv", "_selected_action": [str(patient_a.pk)]},
    )
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "mrn" and rows[1][0] == patient_a.mrn
    assert AuditEvent.objects.filter(
        action="export", patient_id=patient_a.pk, source="admin"
    ).exists()


def test_status_page_changes_status_with_a_reason_for_discharge(clinician, client, patient_a):
    client.force_login(clinician)
    url = f"/admin/patients/patient/{patient_a.pk}/status/"
    page = client.get(url)
    assert page.status_code == 200
    assert 'value="intake_scheduled"' in page.content.decode()
    refused = client.post(
        url, {"to_status": "discharged", "effective_on": dt.date.today().isoformat()}
    )
    assert refused.status_code == 200
    assert "needs a reason" in refused.content.decode()
    done = client.post(
        url,
        {"to_status": "discharged", "effective_on": dt.date.today().isoformat(), "reason": "other"},
    )
    assert done.status_code == 302
    patient_a.refresh_from_db()
    assert patient_a.status == "discharged"


def test_merge_page_compares_then_merges(clinic_admin, client, site_a):
    survivor = register_patient(site_a)
    duplicate = register_patient(site_a)
    client.force_login(clinic_admin)
    url = f"/admin/patients/patient/{survivor.pk}/merge/"
    compare = client.post(url, {"duplicate_mrn": duplicate.mrn, "reason": "same person"})
    assert compare.status_code == 200
    assert duplicate.last_name in compare.content.decode()
    merged = client.post(
        url, {"duplicate_mrn": duplicate.mrn, "reason": "same person", "confirm": "on"}
    )
    assert merged.status_code == 302
    duplicate.refresh_from_db()
    assert duplicate.merged_into == survivor


def test_front_desk_cannot_open_the_merge_page(front_desk, client, patient_a):
    client.force_login(front_desk)
    assert client.get(f"/admin/patients/patient/{patient_a.pk}/merge/").status_code == 403


def test_front_desk_index_shows_no_clinical_sections(front_desk, client):
    client.force_login(front_desk)
    apps = {app["app_label"] for app in client.get("/admin/").context["app_list"]}
    assert apps <= {"patients", "clinic"}
    models = {
        m["object_name"] for app in client.get("/admin/").context["app_list"] for m in app["models"]
    }
    assert "AuditEvent" not in models and "ApiToken" not in models


def test_patient_autocomplete_is_audited(front_desk, client, patient_a):
    client.force_login(front_desk)
    response = client.get(
        "/admin/autocomplete/",
        {
            "term": patient_a.last_name[:4],
            "app_label": "patients",
            "model_name": "consent",
            "field_name": "patient",
        },
    )
    assert response.status_code == 200
    assert response.json()["results"]
    reads = AuditEvent.objects.filter(action="read", patient_id=patient_a.pk, source="admin")
    assert reads.exists()
