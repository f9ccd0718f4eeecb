"""Shared fixtures: the personas every test speaks of, and database policy.

Personas: front desk, clinician, medical staff and clinic admin at site A; an integration token
for site A; an outsider clinician at site B.
"""

import os

import pytest
from django.db import connection
from rest_framework.test import APIClient

from clinic.access import Role
from clinic.services import api_token_create
from tests.factories import SiteFactory, register_patient, staff_user

IN_CI = os.environ.get("CI", "").lower() == "true"


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests skip on SQLite locally, and never under CI=true."""
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    on_postgres = engine.endswith("postgresql")
    if IN_CI and not on_postgres:
        raise pytest.UsageError("CI=true requires PostgreSQL (DATABASE_URL=postgres://...).")
    if on_postgres:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL; run `make test` with PostgreSQL available")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Re-create migration-made rows (the role groups) that a transactional test's flush removed
    from a reused test database."""
    from django.contrib.auth.models import Group

    from clinic.access import ROLE_GROUPS

    with django_db_blocker.unblock():
        for name in ROLE_GROUPS.values():
            Group.objects.get_or_create(name=name)


@pytest.fixture
def site_a(db):
    return SiteFactory(code="SITEA", name="North Clinic")


@pytest.fixture
def site_b(db):
    return SiteFactory(code="SITEB", name="South Clinic")


@pytest.fixture
def front_desk(site_a):
    return staff_user(roles=[Role.FRONT_DESK], sites=[site_a], username="frontdesk")


@pytest.fixture
def clinician(site_a):
    return staff_user(roles=[Role.CLINICIAN], sites=[site_a], username="clinician")


@pytest.fixture
def medical_staff(site_a):
    return staff_user(roles=[Role.MEDICAL_STAFF], sites=[site_a], username="medical")


@pytest.fixture
def clinic_admin(site_a):
    return staff_user(roles=[Role.CLINIC_ADMIN], sites=[site_a], username="clinicadmin")


@pytest.fixture
def integration_user(site_a):
    return staff_user(roles=[Role.INTEGRATION], sites=[site_a], username="lab", is_staff=False)


@pytest.fixture
def outsider(site_b):
    return staff_user(roles=[Role.CLINICIAN], sites=[site_b], username="outsider")


@pytest.fixture
def integration_key(integration_user, site_a, clinic_admin):
    _token, key = api_token_create(
        name="Lab feed",
        user=integration_user,
        sites=[site_a],
        scope="read_write",
        created_by=clinic_admin,
    )
    return key


@pytest.fixture
def personas(front_desk, clinician, medical_staff, clinic_admin, integration_user, outsider):
    return {
        "front_desk": front_desk,
        "clinician": clinician,
        "medical_staff": medical_staff,
        "clinic_admin": clinic_admin,
        "integration": integration_user,
        "outsider": outsider,
    }


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def api_as(api):
    """`api_as(user)` logs the client in with a session, as staff in a browser would."""

    def login(user):
        api.force_authenticate(user=None)
        api.force_login(user)
        return api

    return login


@pytest.fixture
def token_api(integration_key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {integration_key}")
    return client


@pytest.fixture
def patient_a(site_a):
    return register_patient(site_a)


@pytest.fixture
def patient_b(site_b):
    return register_patient(site_b)


@pytest.fixture
def on_postgres():
    return connection.vendor == "postgresql"
