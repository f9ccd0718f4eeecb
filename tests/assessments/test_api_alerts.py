"""Reading alerts through the API: order, filters, scope, audit and query counts."""

import pytest

from assessments.models import Alert
from assessments.services.alert import alert_raise, alert_resolve
from clinic import access
from clinic.access import Role
from clinic.models import AuditEvent
from tests.factories import register_patient

URL = "/api/v1/alerts/"
PERSONA_ROLE = {
    "front_desk": Role.FRONT_DESK,
    "clinician": Role.CLINICIAN,
    "medical_staff": Role.MEDICAL_STAFF,
    "clinic_admin": Role.CLINIC_ADMIN,
    "integration": Role.INTEGRATION,
    "outsider": Role.CLINICIAN,
}


def raise_alert(patient, code, kind="withdrawal", severity="high", source_id=""):
    return alert_raise(
        patient=patient,
        code=code,
        kind=kind,
        severity=severity,
        text=f"Rule {code}.",
        source_type="test",
        source_id=source_id or code,
    )


@pytest.fixture
def mixed_alerts(patient_a, clinician):
    low = raise_alert(patient_a, "phq2_positive", kind="mood", severity="low")
    critical = raise_alert(patient_a, "hys_law_pattern", kind="liver", severity="critical")
    resolved = raise_alert(patient_a, "old_critical", kind="liver", severity="critical")
    alert_resolve(alert=resolved, user=clinician, note="Repeat labs normal.")
    suicide = raise_alert(patient_a, "phq9_item9_suicide_risk", kind="suicide_risk")
    medium = raise_alert(patient_a, "audit_c_positive", kind="alcohol", severity="medium")
    return {
        "low": low,
        "critical": critical,
        "resolved": resolved,
        "suicide": suicide,
        "medium": medium,
    }


def ids(response):
    assert response.status_code == 200, response.content
    return [r["id"] for r in response.json()["results"]]


def test_default_order_puts_open_suicide_risk_then_critical_first(clinician, api_as, mixed_alerts):
    expected = ["suicide", "critical", "medium", "low", "resolved"]
    assert ids(api_as(clinician).get(URL)) == [str(mixed_alerts[k].pk) for k in expected]


def test_an_explicit_ordering_is_honoured(clinician, api_as, mixed_alerts):
    listed = ids(api_as(clinician).get(URL, {"ordering": "created_at"}))
    assert listed[0] == str(mixed_alerts["low"].pk)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "resolved"}, ["resolved"]),
        ({"status": ["open", "acknowledged"]}, ["suicide", "critical", "medium", "low"]),
        ({"severity": "critical"}, ["critical", "resolved"]),
        ({"kind": "suicide_risk"}, ["suicide"]),
    ],
)
def test_filters(params, expected, clinician, api_as, mixed_alerts):
    assert ids(api_as(clinician).get(URL, params)) == [str(mixed_alerts[k].pk) for k in expected]


def test_filter_by_patient(clinician, api_as, site_a, mixed_alerts, patient_a):
    other = register_patient(site_a)
    theirs = raise_alert(other, "cows_medical_review")
    assert ids(api_as(clinician).get(URL, {"patient": str(other.pk)})) == [str(theirs.pk)]
    assert len(ids(api_as(clinician).get(URL, {"patient": str(patient_a.pk)}))) == 5


def test_a_bad_filter_value_is_a_400(clinician, api_as, mixed_alerts):
    response = api_as(clinician).get(URL, {"severity": "urgent"})
    assert response.status_code == 400
    assert "severity" in response.json()["errors"]


@pytest.mark.parametrize("persona", list(PERSONA_ROLE))
def test_alert_reads_follow_the_matrix_and_the_sites(
    persona, personas, api_as, token_api, patient_a, patient_b
):
    mine = raise_alert(patient_a, "cows_medical_review")
    raise_alert(patient_b, "cows_medical_review")
    client = token_api if persona == "integration" else api_as(personas[persona])
    listed = client.get(URL)
    retrieved = client.get(f"{URL}{mine.pk}/")
    if not access.allowed(PERSONA_ROLE[persona], "alert", "view"):
        assert (listed.status_code, retrieved.status_code) == (403, 403)
    elif persona == "outsider":
        assert len(ids(listed)) == 1 and ids(listed) != [str(mine.pk)]
        assert retrieved.status_code == 404
    else:
        expected = 2 if persona == "clinic_admin" else 1  # clinic admins see every site
        assert len(ids(listed)) == expected
        assert retrieved.json()["code"] == "cows_medical_review"


def test_alert_text_holds_no_patient_data(clinician, api_as, patient_a, mixed_alerts):
    from tests.factories import phq9_answers, submit_assessment

    submit_assessment(patient_a, clinician, answers=phq9_answers(item_9=3))
    body = api_as(clinician).get(URL).content.decode()
    for value in (patient_a.first_name, patient_a.last_name, patient_a.mrn):
        assert value not in body


def test_list_and_retrieve_are_audited_per_alert(clinician, api_as, mixed_alerts, patient_a):
    client = api_as(clinician)
    client.get(URL)
    reads = AuditEvent.objects.filter(action="read", object_type="alert")
    assert set(reads.values_list("object_id", flat=True)) == {
        str(a.pk) for a in mixed_alerts.values()
    }
    assert set(reads.values_list("patient_id", flat=True)) == {patient_a.pk}
    client.get(f"{URL}{mixed_alerts['suicide'].pk}/")
    assert reads.filter(object_id=str(mixed_alerts["suicide"].pk)).count() == 2


@pytest.mark.parametrize("rows", [3, 20])
def test_list_query_count_does_not_grow_with_the_page(
    rows, clinician, api_as, site_a, django_assert_max_num_queries
):
    for n in range(rows):
        raise_alert(register_patient(site_a), "cows_medical_review", source_id=str(n))
    client = api_as(clinician)
    client.get(URL)
    with django_assert_max_num_queries(14):
        response = client.get(URL, {"page_size": 50})
    assert len(response.json()["results"]) == rows


def test_no_create_update_or_delete(clinician, api_as, mixed_alerts):
    client = api_as(clinician)
    alert = mixed_alerts["low"]
    before = Alert.objects.filter(pk=alert.pk).values().get()
    assert client.post(URL, {"code": "x"}, format="json").status_code == 405
    assert (
        client.patch(f"{URL}{alert.pk}/", {"status": "resolved"}, format="json").status_code == 405
    )
    assert client.delete(f"{URL}{alert.pk}/").status_code == 405
    assert Alert.objects.filter(pk=alert.pk).values().get() == before
