"""The appointment admin: the front desk's day view with check-in, booking, cancelling, inline."""

import datetime as dt
import re
import zoneinfo

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.test import Client, RequestFactory

from clinic import access
from clinic.access import Role
from clinic.models import AuditEvent
from patients.admin import AppointmentInline
from patients.models import Appointment, Patient
from patients.services import scheduling
from tests.factories import book_appointment, register_patient, staff_user

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
DAY_URL = "/admin/patients/appointment/day/"


def at(hour, minute=0, day=4):
    return dt.datetime(2031, 3, day, hour, minute, tzinfo=CHICAGO)


@pytest.fixture
def morning(site_a, clinician, medical_staff):
    """Two appointments on 2031-03-04 at site A, and one the day after."""
    sam = register_patient(site_a, preferred_name="Sunny", first_name="Samantha", last_name="Reyes")
    lee = register_patient(site_a, first_name="Lee", last_name="Okafor")
    return {
        "sam": book_appointment(sam, clinician, at(9), type="intake_assessment"),
        "lee": book_appointment(lee, medical_staff, at(8, 30), type="medical_check"),
        "tomorrow": book_appointment(lee, clinician, at(9, day=5)),
    }


def _day(client, site, date="2031-03-04"):
    return client.get(DAY_URL, {"site": site.pk, "date": date})


def _messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- Day view ------------------------------------------------------------------------------------


def test_front_desk_sees_the_day_by_time_with_mrn_names_and_check_in_buttons(
    front_desk, client, site_a, morning
):
    client.force_login(front_desk)
    response = _day(client, site_a)
    assert response.status_code == 200
    html = response.content.decode()
    sam, lee = morning["sam"].patient, morning["lee"].patient
    for text in [sam.mrn, "Sunny", "Reyes, Samantha", lee.mrn, "Okafor, Lee"]:
        assert text in html
    assert html.index("08:30") < html.index("09:00")  # by time
    assert html.index(lee.mrn) < html.index(sam.mrn)
    assert "Intake assessment" in html and "Medical check" in html
    assert html.count('value="Check in"') == 2
    assert str(morning["tomorrow"].pk) not in html
    assert "2031-03-03" in html and "2031-03-05" in html  # previous / next day links
    assert "csrfmiddlewaretoken" in html
    reads = AuditEvent.objects.filter(action="read", object_type="appointment", source="admin")
    assert reads.count() == 2


def test_the_day_is_the_sites_local_day(front_desk, client, site_a, clinician, patient_a):
    late = book_appointment(patient_a, clinician, at(22, 30))  # 04:30 UTC on the 5th
    client.force_login(front_desk)
    assert patient_a.mrn in _day(client, site_a, "2031-03-04").content.decode()
    assert patient_a.mrn not in _day(client, site_a, "2031-03-05").content.decode()
    assert late.pk


def test_check_in_from_the_day_view(front_desk, client, site_a, morning):
    client.force_login(front_desk)
    appointment = morning["sam"]
    back = f"{DAY_URL}?site={site_a.pk}&date=2031-03-04"
    response = client.post(
        f"/admin/patients/appointment/{appointment.pk}/check-in/", {"next": back}
    )
    assert response.status_code == 302
    assert response["Location"] == back
    appointment.refresh_from_db()
    assert appointment.status == "checked_in"
    assert appointment.checked_in_by == front_desk
    assert appointment.history.first().history_user == front_desk
    assert any("Checked in" in m for m in _messages(response))
    page = client.get(back).content.decode()
    assert page.count('value="Check in"') == 1


def test_a_refused_check_in_is_an_admin_message(front_desk, client, morning):
    appointment = morning["sam"]
    scheduling.appointment_cancel(appointment=appointment, reason="weather", user=front_desk)
    client.force_login(front_desk)
    response = client.post(f"/admin/patients/appointment/{appointment.pk}/check-in/")
    assert response.status_code == 302
    assert "date=2031-03-04" in response["Location"]  # back to the appointment's day
    assert any("cannot go from cancelled" in m for m in _messages(response))
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"


def test_check_in_is_post_only_and_needs_the_csrf_token(front_desk, morning):
    client = Client(enforce_csrf_checks=True)
    client.force_login(front_desk)
    url = f"/admin/patients/appointment/{morning['sam'].pk}/check-in/"
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 403
    morning["sam"].refresh_from_db()
    assert morning["sam"].status == "scheduled"


def test_check_in_ignores_an_offsite_next_url(front_desk, client, morning, site_a):
    client.force_login(front_desk)
    response = client.post(
        f"/admin/patients/appointment/{morning['sam'].pk}/check-in/",
        {"next": "https://evil.example/"},
    )
    assert response["Location"].startswith(DAY_URL)


@pytest.mark.parametrize("persona", ["front_desk", "clinician", "medical_staff", "clinic_admin"])
def test_day_view_follows_the_matrix(persona, personas, client, site_a, morning):
    client.force_login(personas[persona])
    response = _day(client, site_a)
    role = {
        "front_desk": Role.FRONT_DESK,
        "clinician": Role.CLINICIAN,
        "medical_staff": Role.MEDICAL_STAFF,
        "clinic_admin": Role.CLINIC_ADMIN,
    }[persona]
    assert response.status_code == (200 if access.allowed(role, "appointment", "view") else 403)


def test_staff_without_a_role_get_403_and_change_nothing(client, site_a, morning):
    nobody = staff_user(roles=[], sites=[site_a], username="nobody")
    client.force_login(nobody)
    assert _day(client, site_a).status_code == 403
    url = f"/admin/patients/appointment/{morning['sam'].pk}/check-in/"
    assert client.post(url).status_code == 403
    morning["sam"].refresh_from_db()
    assert morning["sam"].status == "scheduled"


def test_outsider_cannot_open_another_sites_day_or_check_in_there(
    outsider, client, site_a, site_b, morning
):
    client.force_login(outsider)
    assert _day(client, site_a).status_code == 404
    url = f"/admin/patients/appointment/{morning['sam'].pk}/check-in/"
    assert client.post(url).status_code == 404
    morning["sam"].refresh_from_db()
    assert morning["sam"].status == "scheduled"
    # Without a site, the day view opens the user's own site and offers only it.
    own = client.get(DAY_URL, {"date": "2031-03-04"})
    assert own.status_code == 200
    html = own.content.decode()
    assert site_b.name in html and site_a.name not in html
    assert morning["sam"].patient.mrn not in html


def test_integration_accounts_cannot_use_the_day_view(integration_user, client, site_a):
    client.force_login(integration_user)
    response = _day(client, site_a)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_a_bad_date_falls_back_to_today_with_a_warning(front_desk, client, site_a):
    client.force_login(front_desk)
    response = client.get(DAY_URL, {"site": site_a.pk, "date": "31/02/2031"})
    assert response.status_code == 200
    assert any("showing today" in m for m in _messages(response))


def test_the_changelist_links_to_the_day_view(front_desk, client, morning):
    client.force_login(front_desk)
    response = client.get("/admin/patients/appointment/")
    assert response.status_code == 200
    html = response.content.decode()
    assert DAY_URL in html
    assert morning["sam"].patient.mrn in html
    assert "delete_selected" not in html
    for params in ["?status__exact=scheduled", "?type__exact=cbt", "?start__year=2031"]:
        assert client.get("/admin/patients/appointment/" + params).status_code == 200


# --- Booking, rescheduling and cancelling in the admin -------------------------------------------


def _add_form(patient, staff, start="09:00", end="10:00", date="2031-03-04"):
    return {
        "patient": str(patient.pk),
        "staff": staff.pk,
        "type": "counseling",
        "modality": "in_person",
        "start_0": date,
        "start_1": start,
        "end_0": date,
        "end_1": end,
    }


def test_admin_booking_goes_through_the_service(front_desk, clinician, client, patient_a):
    client.force_login(front_desk)
    assert client.get("/admin/patients/appointment/add/").status_code == 200
    response = client.post("/admin/patients/appointment/add/", _add_form(patient_a, clinician))
    assert response.status_code == 302, response.context["adminform"].form.errors
    appointment = Appointment.objects.get()
    assert appointment.start == at(9)  # read in the site's zone
    assert appointment.site == patient_a.site
    assert appointment.created_by == front_desk
    assert appointment.history.get().history_user == front_desk
    assert AuditEvent.objects.filter(action="create", object_type="appointment").count() == 1


def test_admin_double_booking_is_a_form_error_not_a_server_error(
    front_desk, clinician, client, patient_a
):
    first = book_appointment(patient_a, clinician, at(9, 30))
    client.force_login(front_desk)
    other = register_patient(patient_a.site)
    response = client.post("/admin/patients/appointment/add/", _add_form(other, clinician))
    assert response.status_code == 200
    html = response.content.decode()
    assert "already has an appointment" in html
    assert str(first.pk) in html
    assert Appointment.objects.count() == 1


def test_admin_refuses_a_patient_from_another_site(front_desk, clinician, client, patient_b):
    client.force_login(front_desk)
    response = client.post("/admin/patients/appointment/add/", _add_form(patient_b, clinician))
    assert response.status_code == 200
    assert "patient" in response.context["adminform"].form.errors
    assert not Appointment.objects.exists()


def test_admin_bad_times_are_form_errors(front_desk, clinician, client, patient_a):
    client.force_login(front_desk)
    response = client.post(
        "/admin/patients/appointment/add/", _add_form(patient_a, clinician, end="08:00")
    )
    assert response.status_code == 200
    assert "end" in response.context["adminform"].form.errors
    assert not Appointment.objects.exists()


def test_admin_reschedule_rechecks_and_keeps_history(front_desk, clinician, client, morning):
    client.force_login(front_desk)
    appointment = morning["sam"]
    url = f"/admin/patients/appointment/{appointment.pk}/change/"
    assert client.get(url).status_code == 200
    form = _add_form(appointment.patient, clinician, start="13:00", end="14:00")
    response = client.post(url, form)
    assert response.status_code == 302, response.context["adminform"].form.errors
    appointment.refresh_from_db()
    assert appointment.start == at(13)
    assert appointment.history.first().history_change_reason == "rescheduled"
    assert appointment.history.first().history_user == front_desk
    onto_tomorrow = _add_form(appointment.patient, clinician, date="2031-03-05", start="09:15")
    clash = client.post(url, onto_tomorrow)
    assert clash.status_code == 200
    assert str(morning["tomorrow"].pk) in clash.content.decode()
    appointment.refresh_from_db()
    assert appointment.start == at(13)


def test_admin_change_form_of_a_finished_appointment_is_read_only(front_desk, client, morning):
    appointment = morning["sam"]
    scheduling.appointment_check_in(appointment=appointment, user=front_desk)
    client.force_login(front_desk)
    response = client.get(f"/admin/patients/appointment/{appointment.pk}/change/")
    assert response.status_code == 200
    assert not response.context["adminform"].form.fields  # every field shown read-only


def test_admin_cancel_needs_a_reason(front_desk, client, morning):
    appointment = morning["sam"]
    client.force_login(front_desk)
    url = f"/admin/patients/appointment/{appointment.pk}/cancel/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"reason": "", "note": ""})
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    appointment.refresh_from_db()
    assert appointment.status == "scheduled"
    response = client.post(url, {"reason": "weather", "note": "snow"})
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancel_reason) == ("cancelled", "weather")
    again = client.post(url, {"reason": "weather"})
    assert again.status_code == 200
    assert "cannot go from cancelled" in again.content.decode()


def test_admin_actions_run_the_service_and_report_refusals(front_desk, client, morning):
    client.force_login(front_desk)
    scheduling.appointment_cancel(appointment=morning["lee"], reason="weather", user=front_desk)
    response = client.post(
        "/admin/patients/appointment/",
        {
            "action": "check_in_selected",
            "_selected_action": [str(morning["sam"].pk), str(morning["lee"].pk)],
        },
    )
    assert response.status_code == 302
    messages = _messages(response)
    assert any("1 appointment(s) checked in" in m for m in messages)
    assert any(str(morning["lee"].pk) in m for m in messages)
    statuses = dict(Appointment.objects.values_list("pk", "status"))
    assert statuses[morning["sam"].pk] == "checked_in"
    assert statuses[morning["lee"].pk] == "cancelled"


def test_admin_offers_no_delete(clinic_admin, client, morning):
    client.force_login(clinic_admin)
    url = f"/admin/patients/appointment/{morning['sam'].pk}/delete/"
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert Appointment.objects.filter(pk=morning["sam"].pk).exists()


def test_outsider_gets_404_for_another_sites_appointment_pages(outsider, client, morning):
    client.force_login(outsider)
    pk = morning["sam"].pk
    assert client.get(f"/admin/patients/appointment/{pk}/change/").status_code == 404
    assert client.get(f"/admin/patients/appointment/{pk}/cancel/").status_code == 404
    assert (
        morning["sam"].patient.mrn
        not in client.get("/admin/patients/appointment/").content.decode()
    )


# --- The inline for the patient page -------------------------------------------------------------


def test_inline_is_read_only_and_audits_what_it_shows(front_desk, morning):
    request = RequestFactory().get("/admin/patients/patient/x/change/")
    request.user = front_desk
    inline = AppointmentInline(Patient, admin.site)
    patient = morning["lee"].patient
    assert inline.has_view_permission(request, patient)
    assert not inline.has_add_permission(request, patient)
    assert not inline.has_change_permission(request, patient)
    assert not inline.has_delete_permission(request, patient)
    formset = inline.get_formset(request, patient)(
        instance=patient, queryset=inline.get_queryset(request)
    )
    assert len(formset.forms) == 2
    reads = AuditEvent.objects.filter(action="read", object_type="appointment")
    assert set(reads.values_list("object_id", flat=True)) == {
        str(morning["lee"].pk),
        str(morning["tomorrow"].pk),
    }
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d", inline.local_start(morning["lee"]))


def test_inline_shows_nothing_to_roles_without_appointment_access(site_a, morning):
    nobody = staff_user(roles=[], sites=[site_a])
    request = RequestFactory().get("/")
    request.user = nobody
    assert not AppointmentInline(Patient, admin.site).has_view_permission(request)


def test_admin_times_are_read_and_shown_in_the_sites_own_zone(clinic_admin, client):
    from tests.factories import SiteFactory

    hawaii = SiteFactory(code="HNL1", name="Island Clinic", timezone="Pacific/Honolulu")
    staff = staff_user(roles=[Role.CLINICIAN], sites=[hawaii])
    patient = register_patient(hawaii)
    client.force_login(clinic_admin)
    response = client.post("/admin/patients/appointment/add/", _add_form(patient, staff))
    assert response.status_code == 302, response.context["adminform"].form.errors
    appointment = Appointment.objects.get()
    assert appointment.start == dt.datetime(
        2031, 3, 4, 9, tzinfo=zoneinfo.ZoneInfo("Pacific/Honolulu")
    )
    change = client.get(f"/admin/patients/appointment/{appointment.pk}/change/")
    assert 'value="09:00:00"' in change.content.decode()
    assert "Pacific/Honolulu" in change.content.decode()
