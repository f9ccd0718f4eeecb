"""Behaviour of the ASAM Criteria data and rating validation (no placement logic, no averages)."""

import ast
import inspect

import pytest

from assessments import asam
from assessments.asam import (
    DIFFERENCE_REASONS,
    AsamError,
    dimensions,
    highest_risk_dimensions,
    levels,
    validate_rating,
)

ALL_TWO = {f"d{n}": 2 for n in range(1, 7)}


def errors_of(**kwargs):
    args = {
        "edition": "3",
        "ratings": ALL_TWO,
        "indicated_level": "1",
        "provided_level": "1",
        "difference_reason": None,
    }
    args.update(kwargs)
    with pytest.raises(AsamError) as exc:
        validate_rating(**args)
    return exc.value.errors


# Data


def test_it_lists_the_third_edition_dimensions():
    dims = dimensions("3")
    assert [d.code for d in dims] == ["d1", "d2", "d3", "d4", "d5", "d6"]
    assert dims[3].name == "Readiness to change"


def test_it_lists_the_fourth_edition_dimension_names_from_the_reference():
    assert [d.name for d in dimensions("4")] == [
        "Intoxication, withdrawal and addiction medications",
        "Biomedical conditions",
        "Psychiatric and cognitive conditions",
        "Substance use-related risks",
        "Recovery environment interactions",
        "Person-centred considerations",
    ]


def test_it_lists_the_third_edition_levels_with_reference_hours():
    by_code = {lv.code: lv for lv in levels("3")}
    assert list(by_code) == [
        "0.5",
        "1",
        "2.1",
        "2.5",
        "3.1",
        "3.3",
        "3.5",
        "3.7",
        "4",
        "1-WM",
        "2-WM",
        "3.2-WM",
        "3.7-WM",
        "4-WM",
    ]
    assert by_code["1"].hours_per_week == "< 9"
    assert by_code["2.1"].hours_per_week == "9-19"
    assert by_code["2.5"].hours_per_week == ">= 20"
    assert {c for c, lv in by_code.items() if lv.withdrawal_management} == {
        "1-WM",
        "2-WM",
        "3.2-WM",
        "3.7-WM",
        "4-WM",
    }


def test_it_lists_the_fourth_edition_levels():
    assert [lv.code for lv in levels("4")] == [
        "1.0",
        "1.5",
        "1.7",
        "2.1",
        "2.5",
        "2.7",
        "3.1",
        "3.5",
        "3.7",
        "4.0",
    ]


@pytest.mark.parametrize("func", [dimensions, levels])
def test_it_rejects_an_unknown_edition_in_lookups(func):
    with pytest.raises(AsamError) as exc:
        func("5")
    assert set(exc.value.errors) == {"edition"}


# Validation


@pytest.mark.parametrize("edition,level", [("3", "2.1"), ("4", "1.5")])
def test_it_accepts_a_complete_record(edition, level):
    assert validate_rating(edition, ALL_TWO, level, level, None) is None


def test_it_accepts_a_pending_provided_level():
    assert validate_rating("3", ALL_TWO, "2.1", None, None) is None
    assert validate_rating("3", ALL_TWO, "2.1", "", "") is None


def test_it_rejects_an_unknown_edition():
    assert set(errors_of(edition="3rd")) == {"edition"}


def test_it_rejects_a_missing_dimension():
    ratings = {k: v for k, v in ALL_TWO.items() if k != "d3"}
    assert errors_of(ratings=ratings) == {"ratings.d3": ["Missing rating."]}


@pytest.mark.parametrize("value", [-1, 5, 2.5, True, "2", None])
def test_it_rejects_a_rating_outside_whole_numbers_0_to_4(value):
    assert set(errors_of(ratings=dict(ALL_TWO, d5=value))) == {"ratings.d5"}


@pytest.mark.parametrize("value", [0, 4])
def test_it_accepts_the_rating_edges(value):
    assert validate_rating("3", dict(ALL_TWO, d1=value), "1", "1", None) is None


def test_it_rejects_an_unknown_dimension():
    assert set(errors_of(ratings=dict(ALL_TWO, d7=1))) == {"ratings"}


def test_it_rejects_ratings_that_are_not_a_mapping():
    assert set(errors_of(ratings=[2, 2, 2, 2, 2, 2])) == {"ratings"}


@pytest.mark.parametrize(
    ("edition", "indicated", "provided", "field"),
    [
        ("4", "3.3", "3.3", "indicated_level"),
        ("4", "1", "1", "indicated_level"),
        ("3", "1.5", "1.5", "indicated_level"),
        ("3", "1", "2.7", "provided_level"),
        ("4", "1.0", "1-WM", "provided_level"),
    ],
)
def test_it_rejects_a_level_of_another_edition(edition, indicated, provided, field):
    errors = errors_of(
        edition=edition,
        indicated_level=indicated,
        provided_level=provided,
        difference_reason="payer" if indicated != provided else None,
    )
    assert field in errors


def test_it_requires_a_reason_when_provided_differs_from_indicated():
    errors = errors_of(indicated_level="2.1", provided_level="1", difference_reason=None)
    assert set(errors) == {"difference_reason"}


@pytest.mark.parametrize("reason", DIFFERENCE_REASONS)
def test_it_accepts_each_listed_difference_reason(reason):
    assert validate_rating("3", ALL_TWO, "2.1", "1", reason) is None


def test_it_lists_exactly_the_briefed_difference_reasons():
    assert DIFFERENCE_REASONS == (
        "patient_choice",
        "not_available",
        "payer",
        "clinical_judgement",
        "other",
    )


def test_it_rejects_an_unlisted_difference_reason():
    errors = errors_of(indicated_level="2.1", provided_level="1", difference_reason="cost")
    assert set(errors) == {"difference_reason"}


def test_it_rejects_a_reason_when_the_levels_match():
    assert set(errors_of(difference_reason="payer")) == {"difference_reason"}


def test_it_reports_every_problem_at_once():
    errors = errors_of(
        ratings={"d1": 9, "d2": 1, "d3": 1, "d4": 1, "d5": 1},
        indicated_level="9",
        provided_level="1",
        difference_reason=None,
    )
    assert set(errors) == {"ratings.d1", "ratings.d6", "indicated_level", "difference_reason"}


# Highest-risk dimensions and no averaging


def test_it_lists_the_dimensions_sharing_the_highest_rating():
    ratings = {"d1": 1, "d2": 3, "d3": 0, "d4": 3, "d5": 2, "d6": 1}
    assert highest_risk_dimensions(ratings) == ("d2", "d4")


def test_it_lists_no_dimension_for_no_ratings():
    assert highest_risk_dimensions({}) == ()


def test_it_never_produces_an_average():
    # Every public function returns None, codes or data: never a number built from ratings.
    ratings = {"d1": 4, "d2": 0, "d3": 0, "d4": 0, "d5": 0, "d6": 0}
    assert validate_rating("3", ratings, "1", "1", None) is None
    assert highest_risk_dimensions(ratings) == ("d1",)
    public = [name for name in dir(asam) if not name.startswith("_")]
    assert not [n for n in public if any(w in n.lower() for w in ("mean", "average", "avg"))]
    tree = ast.parse(inspect.getsource(asam))
    called = {
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    assert not called & {"sum", "mean", "fmean", "median"}
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    assert "statistics" not in imported
