"""The level-of-care admin: six dimension rows inline and the edition's level choices."""

from assessments.models import LevelOfCareDetermination
from tests.factories import record_level_of_care

ADMIN = "/admin/assessments/levelofcaredetermination/"


def post_data(patient, *, edition="3", indicated="2.1", provided="2.1", reason="", rows=6):
    data = {
        "patient": str(patient.pk),
        "edition": edition,
        "indicated_level": indicated,
        "provided_level": provided,
        "difference_reason": reason,
        "difference_note": "",
        "assessed_on": "2025-03-04",
        "ratings-TOTAL_FORMS": "6",
        "ratings-INITIAL_FORMS": "0",
        "ratings-MIN_NUM_FORMS": "0",
        "ratings-MAX_NUM_FORMS": "6",
    }
    for i in range(6):
        data[f"ratings-{i}-dimension"] = f"d{i + 1}"
        if i < rows:
            data[f"ratings-{i}-rating"] = str(i % 5)
            data[f"ratings-{i}-rationale"] = f"Rationale {i + 1}"
    return data


def test_the_add_form_offers_six_dimensions_and_the_editions_levels(clinician, client):
    client.force_login(clinician)
    third = client.get(ADMIN + "add/").content.decode()
    assert third.count('name="ratings-5-dimension"') == 1
    assert "Readiness to change" in third
    assert 'value="3.2-WM"' in third and 'value="1.7"' not in third
    fourth = client.get(ADMIN + "add/?edition=4").content.decode()
    assert 'value="1.7"' in fourth and 'value="3.2-WM"' not in fourth
    assert "Person-centred considerations" in fourth


def test_clinician_records_a_determination_through_the_service(clinician, client, patient_a):
    client.force_login(clinician)
    response = client.post(ADMIN + "add/", post_data(patient_a))
    assert response.status_code == 302, response.content.decode()[:3000]
    determination = LevelOfCareDetermination.objects.get()
    assert determination.assessor == clinician
    assert sorted(determination.ratings.values_list("dimension", flat=True)) == [
        f"d{n}" for n in range(1, 7)
    ]
    assert determination.history.get().history_user == clinician


def test_a_missing_dimension_saves_nothing(clinician, client, patient_a):
    client.force_login(clinician)
    response = client.post(ADMIN + "add/", post_data(patient_a, rows=5))
    assert response.status_code == 200
    assert "Rate each of the six dimensions" in response.content.decode()
    assert LevelOfCareDetermination.objects.count() == 0


def test_a_level_of_another_edition_saves_nothing(clinician, client, patient_a):
    client.force_login(clinician)
    response = client.post(ADMIN + "add/", post_data(patient_a, indicated="1.7", provided=""))
    assert response.status_code == 200
    assert LevelOfCareDetermination.objects.count() == 0


def test_a_difference_without_reason_saves_nothing(clinician, client, patient_a):
    client.force_login(clinician)
    response = client.post(ADMIN + "add/", post_data(patient_a, indicated="2.1", provided="1"))
    assert response.status_code == 200
    assert "Give a reason" in response.content.decode()
    assert LevelOfCareDetermination.objects.count() == 0


def test_determinations_are_read_only_in_the_admin(clinician, client, patient_a):
    determination = record_level_of_care(patient_a, clinician)
    client.force_login(clinician)
    page = client.get(f"{ADMIN}{determination.pk}/change/")
    assert page.status_code == 200
    response = client.post(f"{ADMIN}{determination.pk}/change/", post_data(patient_a))
    assert response.status_code == 403
