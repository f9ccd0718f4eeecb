"""ASAM level-of-care API: validated, edition-specific, immutable, replaced, never averaged."""

import ast
import datetime as dt
import inspect

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments.api import level_of_care as loc_api
from assessments.models import DimensionRating, LevelOfCareDetermination
from assessments.models import level_of_care as loc_models
from assessments.services import level_of_care as loc_services
from clinic.models import AuditEvent
from tests.factories import level_of_care_data, record_level_of_care, register_patient

URL = "/api/v1/level-of-care/"


def post(client, patient, **overrides):
    return client.post(
        URL, {"patient": str(patient.pk), **level_of_care_data(**overrides)}, format="json"
    )


def counts():
    return LevelOfCareDetermination.objects.count(), DimensionRating.objects.count()


def test_it_records_a_determination_with_six_rated_dimensions(clinician, api_as, patient_a):
    response = post(api_as(clinician), patient_a)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["edition"] == "3"
    assert [r["dimension"] for r in data["ratings"]] == ["d1", "d2", "d3", "d4", "d5", "d6"]
    assert data["ratings"][3]["dimension_name"] == "Readiness to change"
    assert data["indicated_level"] == "2.1"
    assert data["indicated_level_name"] == "Intensive outpatient"
    assert data["highest_risk_dimensions"] == ["d4", "d5"]
    assert data["assessor"] == data["recorded_by"] == "clinician"
    assert data["is_current"] is True
    determination = LevelOfCareDetermination.objects.get(pk=data["id"])
    assert determination.history.get().history_user == clinician
    assert all(r.history.get().history_user == clinician for r in determination.ratings.all())
    assert AuditEvent.objects.filter(action="create", object_type="level_of_care").exists()


def test_nothing_is_averaged_anywhere(clinician, api_as, patient_a):
    data = post(api_as(clinician), patient_a).json()
    assert not [k for k in data if "average" in k or "mean" in k or "score" in k]
    for module in (loc_api, loc_models, loc_services):
        tree = ast.parse(inspect.getsource(module))
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        attrs = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        assert not ({"mean", "fmean", "median", "statistics"} & (names | attrs)), module
        divisions = [n for n in ast.walk(tree) if isinstance(n, ast.BinOp | ast.AugAssign)]
        assert not [n for n in divisions if isinstance(n.op, ast.Div)], module


def test_fourth_edition_levels_and_dimension_names(clinician, api_as, patient_a):
    response = post(
        api_as(clinician), patient_a, edition="4", indicated_level="1.7", provided_level="1.7"
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["indicated_level_name"] == "Medically managed outpatient"
    assert data["ratings"][5]["dimension_name"] == "Person-centred considerations"


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"edition": "3", "indicated_level": "1.7", "provided_level": ""}, "indicated_level"),
        ({"edition": "4", "indicated_level": "2-WM", "provided_level": ""}, "indicated_level"),
        ({"edition": "4", "indicated_level": "1", "provided_level": ""}, "indicated_level"),
        ({"edition": "3", "indicated_level": "1", "provided_level": "1.5"}, "provided_level"),
        ({"edition": "5"}, "edition"),
    ],
)
def test_levels_must_belong_to_the_edition(overrides, key, clinician, api_as, patient_a):
    before = counts()
    response = post(api_as(clinician), patient_a, **overrides)
    assert response.status_code == 400, response.content
    assert key in response.json()["errors"], response.json()
    assert counts() == before


def test_a_different_provided_level_needs_a_reason(clinician, api_as, patient_a):
    client = api_as(clinician)
    response = post(client, patient_a, indicated_level="2.1", provided_level="1")
    assert response.status_code == 400
    assert "difference_reason" in response.json()["errors"]
    assert counts() == (0, 0)
    response = post(
        client, patient_a, indicated_level="2.1", provided_level="1", difference_reason="payer"
    )
    assert response.status_code == 201


def test_a_reason_without_a_difference_is_refused(clinician, api_as, patient_a):
    response = post(api_as(clinician), patient_a, difference_reason="patient_choice")
    assert response.status_code == 400
    assert "difference_reason" in response.json()["errors"]


def test_other_reason_needs_a_note(clinician, api_as, patient_a):
    client = api_as(clinician)
    response = post(
        client, patient_a, indicated_level="2.1", provided_level="1", difference_reason="other"
    )
    assert response.status_code == 400
    assert "difference_note" in response.json()["errors"]
    response = post(
        client,
        patient_a,
        indicated_level="2.1",
        provided_level="1",
        difference_reason="other",
        difference_note="Transport only on weekdays",
    )
    assert response.status_code == 201


def test_pending_placement_has_no_provided_level(clinician, api_as, patient_a):
    response = post(api_as(clinician), patient_a, provided_level="")
    assert response.status_code == 201
    assert response.json()["provided_level"] == ""


def ratings(*values, rationale="Reported at intake"):
    return [
        {"dimension": f"d{n}", "rating": v, "rationale": rationale}
        for n, v in enumerate(values, start=1)
    ]


@pytest.mark.parametrize(
    ("rows", "key"),
    [
        (ratings(1, 1, 1, 1, 1), "ratings.d6"),
        (ratings(1, 1, 1, 1, 1, 5), "ratings[5].rating"),
        (ratings(1, 1, 1, 1, 1, -1), "ratings[5].rating"),
        (ratings(1, 1, 1, 1, 1, 1, rationale=""), "ratings[0].rationale"),
        (
            [*ratings(1, 1, 1, 1, 1, 1), {"dimension": "d1", "rating": 1, "rationale": "x"}],
            "ratings[6].dimension",
        ),
        (
            [*ratings(1, 1, 1, 1, 1, 1), {"dimension": "d7", "rating": 1, "rationale": "x"}],
            "ratings[6].dimension",
        ),
    ],
)
def test_every_dimension_is_rated_once_0_to_4_with_rationale(
    rows, key, clinician, api_as, patient_a
):
    response = post(api_as(clinician), patient_a, ratings=rows)
    assert response.status_code == 400, response.content
    assert key in response.json()["errors"], response.json()
    assert counts() == (0, 0)


def test_assessed_on_cannot_be_in_the_future(clinician, api_as, patient_a):
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = post(api_as(clinician), patient_a, assessed_on=tomorrow)
    assert response.status_code == 400
    assert "assessed_on" in response.json()["errors"]


def test_the_assessor_must_be_a_clinician_at_the_patients_site(
    clinician, front_desk, outsider, api_as, patient_a
):
    client = api_as(clinician)
    for user in (front_desk, outsider):
        response = post(client, patient_a, assessor=user.pk)
        assert response.status_code == 400
        assert "assessor" in response.json()["errors"]
    assert counts() == (0, 0)


def test_a_new_determination_replaces_the_current_one(clinician, api_as, patient_a):
    first = record_level_of_care(patient_a, clinician)
    response = post(api_as(clinician), patient_a, indicated_level="1", provided_level="1")
    assert response.status_code == 201
    first.refresh_from_db()
    assert first.is_current is False and first.replaced_at is not None
    assert first.indicated_level == "2.1"
    assert first.history.first().history_user == clinician
    assert response.json()["replaces"] == str(first.pk)
    current = api_as(clinician).get(URL, {"patient": str(patient_a.pk), "is_current": "true"})
    assert [d["id"] for d in current.json()["results"]] == [response.json()["id"]]


def test_determinations_are_immutable(clinician, api_as, patient_a):
    determination = record_level_of_care(patient_a, clinician)
    client = api_as(clinician)
    url = f"{URL}{determination.pk}/"
    assert client.patch(url, {"indicated_level": "1"}, format="json").status_code == 405
    assert client.put(url, {"indicated_level": "1"}, format="json").status_code == 405
    assert client.delete(url).status_code in {403, 405}
    determination.refresh_from_db()
    assert determination.indicated_level == "2.1"


def test_editions_endpoint_publishes_dimensions_and_levels(medical_staff, api_as):
    response = api_as(medical_staff).get(URL + "editions/")
    assert response.status_code == 200
    by_edition = {e["edition"]: e for e in response.json()}
    assert set(by_edition) == {"3", "4"}
    assert [d["code"] for d in by_edition["3"]["dimensions"]] == [f"d{n}" for n in range(1, 7)]
    assert "3.2-WM" in [lv["code"] for lv in by_edition["3"]["levels"]]
    assert "3.2-WM" not in [lv["code"] for lv in by_edition["4"]["levels"]]
    assert by_edition["4"]["rating_max"] == 4
    assert "payer" in by_edition["3"]["difference_reasons"]
    assert not AuditEvent.objects.filter(action="read").exists()


def test_editions_are_closed_to_front_desk(front_desk, api_as):
    assert api_as(front_desk).get(URL + "editions/").status_code == 403


def test_reads_are_audited(medical_staff, clinician, api_as, patient_a):
    determination = record_level_of_care(patient_a, clinician)
    client = api_as(medical_staff)
    client.get(URL)
    client.get(f"{URL}{determination.pk}/")
    reads = AuditEvent.objects.filter(action="read", object_type="level_of_care")
    assert reads.count() == 2
    assert set(reads.values_list("actor__username", "patient_id")) == {("medical", patient_a.pk)}


def test_list_queries_do_not_grow_with_page_size(clinician, api_as, site_a):
    client = api_as(clinician)
    record_level_of_care(register_patient(site_a), clinician)

    def run(size):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(URL, {"page_size": size})
        assert response.status_code == 200
        return len(ctx.captured_queries), len(response.json()["results"])

    small = run(1)
    for _ in range(4):
        record_level_of_care(
            register_patient(site_a),
            clinician,
            edition="4",
            indicated_level="1.5",
            provided_level="1.5",
        )
    large = run(5)
    assert (small[1], large[1]) == (1, 5)
    assert small[0] == large[0]


def test_the_database_refuses_a_reason_without_a_difference_and_bad_ratings(clinician, patient_a):
    from django.db import IntegrityError, transaction

    determination = record_level_of_care(patient_a, clinician)
    with pytest.raises(IntegrityError), transaction.atomic():
        LevelOfCareDetermination.objects.filter(pk=determination.pk).update(
            difference_reason="payer"
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        DimensionRating.objects.filter(determination=determination).update(rating=5)
