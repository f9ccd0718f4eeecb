"""Substance-use history API: nested create in one transaction, revisions, audit and history."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments.models import KratomProductUse, SubstanceHistory
from clinic.models import AuditEvent
from tests.factories import record_substance_history, register_patient, substance_history_data

URL = "/api/v1/substance-histories/"


def body(patient, **overrides):
    return {"patient": str(patient.pk), **substance_history_data(**overrides)}


def counts():
    return SubstanceHistory.objects.count(), KratomProductUse.objects.count()


# --- Create -----------------------------------------------------------------------------------


def test_it_creates_a_history_with_its_rows_and_derived_values(clinician, api_as, patient_a):
    products = [
        {"form": "leaf_powder", "amount": "3", "unit": "g", "doses_per_day": "3"},
        {
            "form": "capsules",
            "amount": "4",
            "unit": "count",
            "mg_per_unit": "500",
            "capsule_contents": "leaf_powder",
            "doses_per_day": "2",
        },
        {"form": "concentrated_7oh", "amount": "15", "unit": "mg", "doses_per_day": "2"},
    ]
    response = api_as(clinician).post(
        URL,
        body(
            patient_a,
            products=products,
            other_substances=[
                {"substance": "opioids", "frequency": "weekly", "last_use_on": "2024-01-02"}
            ],
        ),
        format="json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["revision"] == 1 and data["is_current"] is True
    assert data["recorded_by"] == "clinician"
    assert [p["form"] for p in data["products"]] == [
        "leaf_powder",
        "capsules",
        "concentrated_7oh",
    ]
    derived = data["derived"]
    assert derived["leaf_equivalent_g_per_day"] == "13.00"  # 9 g leaf + 4 g from capsules
    assert derived["daily_use"] is True
    assert derived["seven_oh_use"] is True
    assert derived["opioid_co_use"] is True
    [seven_oh] = derived["unconverted"]
    assert seven_oh["form"] == "concentrated_7oh"
    assert seven_oh["amount_per_day"] == "30.00" and seven_oh["unit"] == "mg"
    assert "no validated conversion" in seven_oh["note"]
    assert len(data["medications"]) == 1 and len(data["allergies"]) == 1


def test_derived_values_cannot_be_typed_in(clinician, api_as, patient_a):
    response = api_as(clinician).post(
        URL,
        {**body(patient_a), "derived": {"leaf_equivalent_g_per_day": "999"}},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["derived"]["leaf_equivalent_g_per_day"] == "9.00"


def test_a_bad_child_row_is_a_400_keyed_by_row_and_nothing_is_written(clinician, api_as, patient_a):
    products = [
        {"form": "leaf_powder", "amount": "3", "unit": "g", "doses_per_day": "3"},
        {"form": "leaf_powder", "amount": "3", "unit": "mg", "doses_per_day": "3"},
    ]
    before = counts()
    response = api_as(clinician).post(URL, body(patient_a, products=products), format="json")
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert list(errors) == ["products[1].unit"]
    assert "Leaf powder is recorded in g" in errors["products[1].unit"][0]
    assert counts() == before
    assert not AuditEvent.objects.filter(object_type="substance_history", action="create").exists()


@pytest.mark.parametrize(
    ("row", "key"),
    [
        ({"form": "capsules", "amount": "2", "unit": "g", "doses_per_day": "1"}, "unit"),
        (
            {"form": "capsules", "amount": "2", "unit": "count", "doses_per_day": "1"},
            "mg_per_unit",
        ),
        (
            {
                "form": "capsules",
                "amount": "2",
                "unit": "count",
                "mg_per_unit": "500",
                "doses_per_day": "1",
            },
            "capsule_contents",
        ),
        ({"form": "extract_shot", "amount": "1", "unit": "mg", "doses_per_day": "1"}, "unit"),
        ({"form": "concentrated_7oh", "amount": "1", "unit": "g", "doses_per_day": "1"}, "unit"),
        (
            {
                "form": "concentrated_7oh",
                "amount": "10",
                "unit": "mg",
                "mg_per_unit": "5",
                "doses_per_day": "1",
            },
            "mg_per_unit",
        ),
        ({"form": "other", "amount": "1", "unit": "g", "doses_per_day": "1"}, "form_other"),
        ({"form": "leaf_powder", "amount": "0", "unit": "g", "doses_per_day": "1"}, "amount"),
        (
            {"form": "leaf_powder", "amount": "2", "unit": "g", "doses_per_day": "0"},
            "doses_per_day",
        ),
        (
            {
                "form": "leaf_powder",
                "amount": "2",
                "unit": "g",
                "doses_per_day": "1",
                "route": "other",
            },
            "route_other",
        ),
    ],
)
def test_it_validates_the_unit_and_strength_per_product_form(
    row, key, clinician, api_as, patient_a
):
    before = counts()
    response = api_as(clinician).post(URL, body(patient_a, products=[row]), format="json")
    assert response.status_code == 400, response.content
    assert f"products[0].{key}" in response.json()["errors"]
    assert counts() == before


@pytest.mark.parametrize(
    ("row", "key"),
    [
        ({"form": "concentrated_7oh", "amount": "2", "unit": "count", "doses_per_day": "1"}, None),
        (
            {
                "form": "extract_shot",
                "amount": "1",
                "unit": "count",
                "mg_per_unit": "60",
                "doses_per_day": "1",
            },
            None,
        ),
        ({"form": "extract_shot", "amount": "1", "unit": "count", "doses_per_day": "1"}, None),
    ],
)
def test_it_accepts_each_form_in_its_units(row, key, clinician, api_as, patient_a):
    response = api_as(clinician).post(URL, body(patient_a, products=[row]), format="json")
    assert response.status_code == 201, response.content


def test_age_at_first_use_cannot_be_above_the_patients_age(clinician, api_as, site_a):
    today = timezone.localdate()
    patient = register_patient(site_a, date_of_birth=today.replace(year=today.year - 30))
    row = {
        "form": "leaf_powder",
        "amount": "2",
        "unit": "g",
        "doses_per_day": "1",
        "age_at_first_use": 31,
    }
    response = api_as(clinician).post(URL, body(patient, products=[row]), format="json")
    assert response.status_code == 400
    assert "above the patient's age" in response.json()["errors"]["products[0].age_at_first_use"][0]
    row["age_at_first_use"] = 30
    assert (
        api_as(clinician).post(URL, body(patient, products=[row]), format="json").status_code == 201
    )


def test_years_of_use_cannot_exceed_years_since_first_use(clinician, api_as, site_a):
    today = timezone.localdate()
    patient = register_patient(site_a, date_of_birth=today.replace(year=today.year - 30))
    row = {
        "form": "leaf_powder",
        "amount": "2",
        "unit": "g",
        "doses_per_day": "1",
        "age_at_first_use": 25,
        "years_of_use": "8",
    }
    response = api_as(clinician).post(URL, body(patient, products=[row]), format="json")
    assert "products[0].years_of_use" in response.json()["errors"]


def test_last_use_cannot_be_in_the_future(clinician, api_as, patient_a):
    future = (timezone.now() + dt.timedelta(hours=2)).isoformat()
    row = {
        "form": "leaf_powder",
        "amount": "2",
        "unit": "g",
        "doses_per_day": "1",
        "last_use_at": future,
    }
    before = counts()
    response = api_as(clinician).post(URL, body(patient_a, products=[row]), format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["products[0].last_use_at"] == [
        "The last use cannot be in the future."
    ]
    assert counts() == before


def test_other_substance_and_treatment_dates_cannot_be_in_the_future(clinician, api_as, patient_a):
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = api_as(clinician).post(
        URL,
        body(
            patient_a,
            other_substances=[
                {"substance": "opioids", "frequency": "daily", "last_use_on": tomorrow}
            ],
            prior_treatments=[
                {"setting": "outpatient", "medication": "buprenorphine", "start_date": tomorrow},
                {
                    "setting": "outpatient",
                    "start_date": "2020-05-01",
                    "end_date": "2020-01-01",
                    "outcome": "completed",
                },
                {"setting": "outpatient", "end_date": "2020-01-01", "outcome": "ongoing"},
            ],
        ),
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "other_substances[0].last_use_on" in errors
    assert "prior_treatments[0].start_date" in errors
    assert "prior_treatments[1].end_date" in errors
    assert "prior_treatments[2].end_date" in errors


@pytest.mark.parametrize("goal", ["", "   "])
def test_the_patients_goal_in_their_words_is_required(goal, clinician, api_as, patient_a):
    before = counts()
    response = api_as(clinician).post(URL, body(patient_a, goal_in_own_words=goal), format="json")
    assert response.status_code == 400
    assert "goal_in_own_words" in response.json()["errors"]
    assert counts() == before


def test_missing_goal_field_is_a_400(clinician, api_as, patient_a):
    data = body(patient_a)
    del data["goal_in_own_words"]
    response = api_as(clinician).post(URL, data, format="json")
    assert response.status_code == 400
    assert "goal_in_own_words" in response.json()["errors"]


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"reasons_for_use": ["pain", "boredom"]}, "reasons_for_use[1]"),
        ({"reasons_for_use": ["pain", "pain"]}, "reasons_for_use"),
        ({"reasons_for_use": ["other"]}, "reasons_for_use_other"),
        ({"withdrawal_symptoms": ["hiccups"]}, "withdrawal_symptoms[0]"),
        ({"withdrawal_symptoms": ["other"]}, "withdrawal_symptoms_other"),
        ({"psychiatric_conditions": ["depression", "depression"]}, "psychiatric_conditions"),
        ({"pregnancy_status": "yes"}, "pregnancy_weeks"),
        ({"pregnancy_status": "no", "pregnancy_weeks": 12}, "pregnancy_weeks"),
        ({"withdrawal_seizures": "maybe"}, "withdrawal_seizures"),
        ({"housing": "castle"}, "housing"),
        ({"goal": "maintain"}, "goal"),
    ],
)
def test_it_validates_the_multi_choice_and_choice_answers(
    overrides, key, clinician, api_as, patient_a
):
    response = api_as(clinician).post(URL, body(patient_a, **overrides), format="json")
    assert response.status_code == 400, response.content
    assert key in response.json()["errors"], response.json()["errors"]


def test_pregnancy_with_weeks_is_accepted(clinician, api_as, patient_a):
    response = api_as(clinician).post(
        URL, body(patient_a, pregnancy_status="yes", pregnancy_weeks=14), format="json"
    )
    assert response.status_code == 201
    assert response.json()["pregnancy_weeks"] == 14


def test_an_unknown_or_other_sites_patient_is_a_400(clinician, api_as, patient_b):
    response = api_as(clinician).post(URL, body(patient_b), format="json")
    assert response.status_code == 400
    assert "patient" in response.json()["errors"]
    assert SubstanceHistory.objects.count() == 0


def test_an_archived_patient_takes_no_new_history(clinician, clinic_admin, api_as, patient_a):
    from patients.services.patient import patient_archive

    patient_archive(patient=patient_a, user=clinic_admin, reason="duplicate")
    response = api_as(clinician).post(URL, body(patient_a), format="json")
    assert response.status_code == 409
    assert SubstanceHistory.objects.count() == 0


# --- Revisions ----------------------------------------------------------------------------------


def test_revise_supersedes_and_keeps_the_old_revision(clinician, api_as, patient_a):
    client = api_as(clinician)
    first = client.post(URL, body(patient_a, goal="reduce"), format="json").json()
    response = client.post(
        f"{URL}{first['id']}/revise/",
        substance_history_data(goal="stop", goal_in_own_words="I want to be done with it."),
        format="json",
    )
    assert response.status_code == 201, response.content
    second = response.json()
    assert second["revision"] == 2
    assert second["supersedes"] == first["id"]
    assert second["is_current"] is True

    old = SubstanceHistory.objects.get(pk=first["id"])
    assert old.is_current is False and old.superseded_at is not None
    assert old.goal == "reduce"
    assert old.products.count() == 1
    latest_old_history = old.history.first()
    assert latest_old_history.history_type == "~"
    assert latest_old_history.history_user == clinician
    assert latest_old_history.history_change_reason == "superseded by revision 2"

    listed = client.get(URL, {"patient": str(patient_a.pk)}).json()["results"]
    assert [h["revision"] for h in listed] == [2, 1]
    current = client.get(URL, {"patient": str(patient_a.pk), "is_current": "true"}).json()
    assert [h["id"] for h in current["results"]] == [second["id"]]


def test_revising_a_superseded_revision_is_a_409_and_changes_nothing(clinician, api_as, patient_a):
    first = record_substance_history(patient_a, clinician)
    second = record_substance_history(patient_a, clinician)
    before = counts()
    response = api_as(clinician).post(
        f"{URL}{first.pk}/revise/", substance_history_data(), format="json"
    )
    assert response.status_code == 409
    assert response.json()["current_id"] == str(second.pk)
    assert counts() == before


def test_a_new_history_supersedes_the_current_one(clinician, api_as, patient_a):
    first = record_substance_history(patient_a, clinician)
    response = api_as(clinician).post(URL, body(patient_a), format="json")
    assert response.status_code == 201
    first.refresh_from_db()
    assert first.is_current is False
    assert response.json()["supersedes"] == str(first.pk)
    assert SubstanceHistory.objects.filter(patient=patient_a, is_current=True).count() == 1


def test_a_bad_revision_leaves_the_current_one_current(clinician, api_as, patient_a):
    first = record_substance_history(patient_a, clinician)
    response = api_as(clinician).post(
        f"{URL}{first.pk}/revise/", substance_history_data(goal_in_own_words=""), format="json"
    )
    assert response.status_code == 400
    first.refresh_from_db()
    assert first.is_current is True
    assert SubstanceHistory.objects.count() == 1


def test_there_is_no_edit_in_place_or_delete(clinician, api_as, patient_a):
    record = record_substance_history(patient_a, clinician)
    client = api_as(clinician)
    assert client.patch(f"{URL}{record.pk}/", {"goal": "reduce"}, format="json").status_code == 405
    assert client.put(f"{URL}{record.pk}/", {"goal": "reduce"}, format="json").status_code == 405
    # DELETE needs the archive right first (403 without it), and is never offered (405).
    assert client.delete(f"{URL}{record.pk}/").status_code in {403, 405}
    record.refresh_from_db()
    assert record.goal == "stop"


# --- History, audit, query counts ------------------------------------------------------------


def test_every_row_has_a_history_row_with_the_acting_user(clinician, api_as, patient_a):
    response = api_as(clinician).post(URL, body(patient_a), format="json")
    record = SubstanceHistory.objects.get(pk=response.json()["id"])
    assert record.history.get().history_user == clinician
    for related in ("products", "other_substances", "medications", "allergies"):
        for row in getattr(record, related).all():
            entry = row.history.get()
            assert entry.history_type == "+"
            assert entry.history_user == clinician
    assert AuditEvent.objects.filter(
        action="create", object_type="substance_history", object_id=str(record.pk), actor=clinician
    ).exists()


def test_retrieve_and_list_write_read_audit_rows(medical_staff, clinician, api_as, patient_a):
    record = record_substance_history(patient_a, clinician)
    client = api_as(medical_staff)
    assert client.get(f"{URL}{record.pk}/").status_code == 200
    assert client.get(URL).status_code == 200
    reads = AuditEvent.objects.filter(action="read", object_type="substance_history")
    assert reads.count() == 2
    assert set(reads.values_list("actor__username", "object_id", "patient_id", "site_id")) == {
        ("medical", str(record.pk), patient_a.pk, patient_a.site_id)
    }
    # No patient data in the audit detail.
    assert all(e.detail == "" for e in reads)


def test_list_queries_do_not_grow_with_page_size(clinician, api_as, site_a):
    client = api_as(clinician)
    for _ in range(2):
        record_substance_history(register_patient(site_a), clinician)

    def run(size):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(URL, {"page_size": size})
        assert response.status_code == 200
        return len(ctx.captured_queries), len(response.json()["results"])

    small = run(1)
    for _ in range(4):
        record_substance_history(register_patient(site_a), clinician)
    large = run(6)
    assert small[1] == 1 and large[1] == 6
    assert small[0] == large[0]


# --- Hard rules in the database too; nothing is deleted ------------------------------------


def test_the_database_refuses_a_unit_that_does_not_suit_the_form(clinician, patient_a):
    from decimal import Decimal

    from django.db import IntegrityError, transaction

    record = record_substance_history(patient_a, clinician)
    with pytest.raises(IntegrityError), transaction.atomic():
        KratomProductUse.objects.create(
            substance_history=record,
            form="leaf_powder",
            unit="mg",
            amount=Decimal("3"),
            doses_per_day=Decimal("1"),
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        SubstanceHistory.objects.filter(pk=record.pk).update(goal_in_own_words="")


def test_histories_and_rows_are_never_deleted(clinician, patient_a):
    from clinic.models import ProtectedDeletion

    record = record_substance_history(patient_a, clinician)
    with pytest.raises(ProtectedDeletion):
        record.delete()
    with pytest.raises(ProtectedDeletion):
        record.products.get().delete()
    with pytest.raises(ProtectedDeletion):
        KratomProductUse.objects.all().delete()
    assert KratomProductUse.objects.count() == 1
