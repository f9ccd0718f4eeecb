"""Integration tokens: hashed, shown once, named, scoped to sites and to read or read-write."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from clinic.models import ApiToken, AuditEvent
from clinic.services import api_token_create, api_token_revoke
from tests.factories import register_patient


def test_the_key_is_not_stored_only_its_hash(integration_key):
    token = ApiToken.objects.get()
    prefix, _, secret = integration_key.partition(".")
    assert token.prefix == prefix
    assert secret not in token.secret_hash
    assert len(token.secret_hash) == 64
    assert AuditEvent.objects.filter(action="token_change", detail="created").exists()


def test_a_token_reads_only_its_sites(token_api, patient_a, patient_b):
    ids = [p["id"] for p in token_api.get("/api/v1/patients/").json()["results"]]
    assert ids == [str(patient_a.pk)]
    assert token_api.get(f"/api/v1/patients/{patient_b.pk}/").status_code == 404


def test_last_used_time_is_recorded(token_api, patient_a):
    token_api.get("/api/v1/patients/")
    assert ApiToken.objects.get().last_used_at is not None


def test_a_revoked_token_is_refused(token_api, clinic_admin, patient_a):
    api_token_revoke(token=ApiToken.objects.get(), user=clinic_admin)
    response = token_api.get("/api/v1/patients/")
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_an_expired_token_is_refused(token_api, patient_a):
    ApiToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = token_api.get("/api/v1/patients/")
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_a_read_token_cannot_write_and_nothing_changes(
    api, integration_user, site_a, clinic_admin, patient_a
):
    _token, key = api_token_create(
        name="Registry", user=integration_user, sites=[site_a], created_by=clinic_admin
    )
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.get("/api/v1/patients/").status_code == 200
    response = api.patch(f"/api/v1/patients/{patient_a.pk}/", {"first_name": "X"}, format="json")
    assert response.status_code == 403
    patient_a.refresh_from_db()
    assert patient_a.first_name != "X"


def test_a_wrong_secret_with_a_real_prefix_is_refused(api, integration_key, patient_a):
    prefix = integration_key.split(".")[0]
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {prefix}.wrong-secret")
    assert api.get("/api/v1/patients/").status_code == 401


def test_tokens_are_for_integration_accounts_and_own_sites_only(
    clinician, integration_user, site_a, site_b, front_desk
):
    with pytest.raises(ValidationError) as err:
        api_token_create(name="x", user=clinician, sites=[site_a])
    assert "user" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        api_token_create(name="x", user=integration_user, sites=[site_b], created_by=front_desk)
    assert "sites" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        api_token_create(
            name="x",
            user=integration_user,
            sites=[site_a],
            expires_at=timezone.now() - dt.timedelta(days=1),
        )
    assert "expires_at" in err.value.message_dict
    assert not ApiToken.objects.exists()


def test_admin_creates_a_token_and_shows_the_key_once(
    clinic_admin, integration_user, client, site_a
):
    client.force_login(clinic_admin)
    response = client.post(
        "/admin/clinic/apitoken/add/",
        {
            "name": "Billing",
            "user": integration_user.pk,
            "scope": "read",
            "sites": [site_a.pk],
            "expires_at_0": (timezone.localdate() + dt.timedelta(days=30)).isoformat(),
            "expires_at_1": "12:00:00",
        },
        follow=True,
    )
    assert response.status_code == 200
    token = ApiToken.objects.get(name="Billing")
    shown = [str(m) for m in response.context["messages"]]
    assert any(token.prefix in m for m in shown)
    page = client.get(f"/admin/clinic/apitoken/{token.pk}/change/").content.decode()
    assert token.prefix in page
    assert not any(
        m.split("<code>")[-1].split(".")[1].split("<")[0] in page for m in shown if "<code>" in m
    )


def test_token_users_list_is_scoped_when_searching_other_sites(token_api, site_a):
    register_patient(site_a, last_name="Scoped")
    assert token_api.get("/api/v1/patients/?search=Scoped").json()["count"] == 1
