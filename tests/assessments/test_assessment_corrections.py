"""Submitted assessments never change: corrections supersede them with a reason."""

import pytest
from django.db import IntegrityError, transaction

from assessments.models import Alert, Assessment, ImmutableRecordError
from clinic.models import AuditEvent, ProtectedDeletion
from tests.factories import cows_answers, phq9_answers, submit_assessment


def supersede(client, assessment, answers, reason="Item 3 was entered on the wrong row.", **extra):
    body = {"answers": answers, "reason": reason, **extra}
    return client.post(f"/api/v1/assessments/{assessment.pk}/supersede/", body, format="json")


def snapshot(assessment):
    row = Assessment.objects.filter(pk=assessment.pk).values().get()
    return row, assessment.history.count(), Assessment.objects.count()


# --- Immutability --------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["clinician", "medical_staff", "clinic_admin"])
def test_no_update_or_delete_is_offered(persona, personas, api_as, patient_a):
    assessment = submit_assessment(patient_a, personas["clinician"], answers=phq9_answers())
    before = snapshot(assessment)
    client = api_as(personas[persona])
    for method in ("put", "patch", "delete"):
        response = getattr(client, method)(
            f"/api/v1/assessments/{assessment.pk}/",
            {"answers": phq9_answers(each=3)},
            format="json",
        )
        assert response.status_code == 405, (method, response.content)
        assert response["Content-Type"] == "application/problem+json"
        nested = getattr(client, method)(f"/api/v1/patients/{patient_a.pk}/assessments/", {})
        assert nested.status_code == 405
    assert snapshot(assessment) == before


def test_integration_token_also_gets_405_for_patch(token_api, clinician, patient_a):
    assessment = submit_assessment(patient_a, clinician)
    response = token_api.patch(f"/api/v1/assessments/{assessment.pk}/", {}, format="json")
    assert response.status_code == 405


def test_anonymous_patch_is_401_not_405(api, clinician, patient_a):
    assessment = submit_assessment(patient_a, clinician)
    assert api.patch(f"/api/v1/assessments/{assessment.pk}/", {}).status_code == 401


def test_model_save_refuses_changes_to_a_submitted_assessment(clinician, patient_a):
    assessment = submit_assessment(patient_a, clinician, answers=phq9_answers())
    before = snapshot(assessment)
    assessment.answers = phq9_answers(each=3)
    with pytest.raises(ImmutableRecordError):
        assessment.save()
    with pytest.raises(ImmutableRecordError):
        assessment.save(update_fields=["answers"])
    with pytest.raises(ImmutableRecordError):
        Assessment.objects.filter(pk=assessment.pk).update(total=27)
    with pytest.raises(ProtectedDeletion):
        assessment.delete()
    with pytest.raises(ProtectedDeletion):
        Assessment.objects.all().delete()
    assert snapshot(assessment) == before


def test_only_the_archive_fields_may_change(clinician, clinic_admin, patient_a):
    from django.utils import timezone

    assessment = submit_assessment(patient_a, clinician)
    assessment.archived_at = timezone.now()
    assessment.archived_by = clinic_admin
    assessment.archive_reason = "entered for the wrong patient"
    assessment.save(update_fields=["archived_at", "archived_by", "archive_reason"])
    assessment.refresh_from_db()
    assert assessment.is_archived
    assert assessment.history.first().history_type == "~"


def test_the_database_refuses_a_correction_without_a_reason(clinician, patient_a):
    original = submit_assessment(patient_a, clinician)
    copy = Assessment.objects.filter(pk=original.pk).values().get()
    copy.pop("id")
    copy["supersedes_id"] = original.pk
    copy["supersede_reason"] = ""
    with pytest.raises(IntegrityError), transaction.atomic():
        Assessment.objects.bulk_create([Assessment(**copy)])


# --- Supersede -----------------------------------------------------------------------------------


def test_a_correction_supersedes_the_original_and_keeps_it(clinician, api_as, patient_a):
    original = submit_assessment(patient_a, clinician, "cows", cows_answers(item_3=5))
    client = api_as(clinician)
    response = supersede(client, original, cows_answers(item_3=3))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["supersedes"] == str(original.pk)
    assert body["supersede_reason"] == "Item 3 was entered on the wrong row."
    assert body["total"] == original.total - 2
    assert (
        body["administered_at"]
        == client.get(f"/api/v1/assessments/{original.pk}/").json()["administered_at"]
    )

    old = client.get(f"/api/v1/assessments/{original.pk}/").json()
    assert old["superseded_by"] == body["id"]
    assert old["answers"] == cows_answers(item_3=5)  # unchanged

    listed = client.get(f"/api/v1/patients/{patient_a.pk}/assessments/").json()["results"]
    assert [r["id"] for r in listed] == [body["id"]]
    everything = client.get(
        f"/api/v1/patients/{patient_a.pk}/assessments/", {"include_superseded": "true"}
    ).json()["results"]
    assert {r["id"] for r in everything} == {body["id"], str(original.pk)}

    new = Assessment.objects.get(pk=body["id"])
    assert new.recorded_by == clinician
    assert new.administered_by == original.administered_by
    [row] = new.history.all()
    assert row.history_user == clinician
    assert row.history_change_reason == "correction"
    assert original.history.count() == 1  # the original row was not touched
    assert AuditEvent.objects.filter(
        action="create", object_type="assessment", object_id=body["id"]
    ).exists()


def test_a_correction_needs_a_reason(clinician, api_as, patient_a):
    original = submit_assessment(patient_a, clinician)
    response = supersede(api_as(clinician), original, phq9_answers(), reason="  ")
    assert response.status_code == 400
    assert "reason" in response.json()["errors"]
    assert Assessment.objects.count() == 1


def test_a_correction_is_validated_like_a_submission(clinician, api_as, patient_a):
    original = submit_assessment(patient_a, clinician)
    response = supersede(api_as(clinician), original, {"item_1": 9})
    assert response.status_code == 400
    assert "answers.item_1" in response.json()["errors"]
    assert "answers.item_2" in response.json()["errors"]
    assert Assessment.objects.count() == 1


def test_only_the_latest_version_can_be_corrected(clinician, api_as, patient_a):
    original = submit_assessment(patient_a, clinician)
    client = api_as(clinician)
    first = supersede(client, original, phq9_answers(each=1)).json()
    again = supersede(client, original, phq9_answers(each=2))
    assert again.status_code == 409
    assert again.json()["superseded_by"] == first["id"]
    assert Assessment.objects.count() == 2
    chained = supersede(client, Assessment.objects.get(pk=first["id"]), phq9_answers(each=2))
    assert chained.status_code == 201


def test_the_database_allows_one_correction_per_assessment(clinician, patient_a):
    original = submit_assessment(patient_a, clinician)
    values = Assessment.objects.filter(pk=original.pk).values().get()
    values.pop("id")
    values.update(supersedes_id=original.pk, supersede_reason="one")
    Assessment.objects.bulk_create([Assessment(**values)])
    with pytest.raises(IntegrityError), transaction.atomic():
        Assessment.objects.bulk_create([Assessment(**{**values, "supersede_reason": "two"})])


@pytest.mark.parametrize(
    ("persona", "status"),
    [("outsider", 404), ("clinic_admin", 403), ("front_desk", 403), ("medical_staff", 201)],
)
def test_who_may_correct(persona, status, personas, api_as, patient_a):
    original = submit_assessment(patient_a, personas["clinician"])
    response = supersede(api_as(personas[persona]), original, phq9_answers(each=1))
    assert response.status_code == status
    assert Assessment.objects.count() == (2 if status == 201 else 1)


def test_a_correction_keeps_the_open_alert_instead_of_raising_another(clinician, api_as, patient_a):
    original = submit_assessment(patient_a, clinician, answers=phq9_answers(item_9=1))
    [alert] = original.alerts_raised
    response = supersede(api_as(clinician), original, phq9_answers(item_9=2, each=1))
    assert [a["id"] for a in response.json()["alerts"]] == [str(alert.pk)]
    assert Alert.objects.count() == 1


def test_a_correction_that_removes_the_finding_leaves_the_alert_for_a_clinician(
    clinician, api_as, patient_a
):
    original = submit_assessment(patient_a, clinician, answers=phq9_answers(item_9=1))
    response = supersede(api_as(clinician), original, phq9_answers(item_9=0))
    assert response.json()["alerts"] == []
    assert Alert.objects.get().status == "open"  # never closed silently


def test_archived_assessments_leave_the_default_list(clinician, clinic_admin, api_as, patient_a):
    from django.utils import timezone

    kept = submit_assessment(patient_a, clinician)
    archived = submit_assessment(patient_a, clinician)
    archived.archived_at, archived.archived_by = timezone.now(), clinic_admin
    archived.archive_reason = "entered for the wrong patient"
    archived.save(update_fields=["archived_at", "archived_by", "archive_reason"])
    url = f"/api/v1/patients/{patient_a.pk}/assessments/"
    client = api_as(clinician)
    assert [r["id"] for r in client.get(url).json()["results"]] == [str(kept.pk)]
    listed = client.get(url, {"archived": "true"}).json()["results"]
    assert {r["id"] for r in listed} == {str(kept.pk), str(archived.pk)}
