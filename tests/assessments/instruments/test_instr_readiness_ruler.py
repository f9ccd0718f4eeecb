"""Readiness Ruler: rulers on a stored 0-10 or 1-10 scale, no total."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessments.instruments import ScoringError, score
from assessments.instruments.readiness_ruler import DEFINITION, RULER_CODES


@st.composite
def valid_answers(draw):
    scale = draw(st.sampled_from(["0-10", "1-10"]))
    low = 0 if scale == "0-10" else 1
    rulers = draw(st.lists(st.sampled_from(RULER_CODES), min_size=1, max_size=3, unique=True))
    return {"scale": scale} | {code: draw(st.integers(low, 10)) for code in rulers}


def test_it_models_rulers_as_bounded_integers_and_the_scale_as_a_choice():
    assert DEFINITION.item("scale").allowed_values == ("0-10", "1-10")
    for code in RULER_CODES:
        item = DEFINITION.item(code)
        assert (item.kind, item.min_value, item.max_value) == ("integer", 0, 10)
    assert DEFINITION.total_range is None


def test_it_reports_each_ruler_and_stores_the_scale():
    answers = {"scale": "0-10", "importance": 0, "confidence": 10, "readiness": 6}
    result = score("readiness_ruler", answers)
    assert result.total is None and result.band is None
    assert result.subscales == {"importance": 0, "confidence": 10, "readiness": 6}
    assert result.details == {"scale": "0-10"}


def test_it_accepts_a_single_ruler():
    result = score("readiness_ruler", {"scale": "1-10", "readiness": 1})
    assert result.subscales == {"readiness": 1}


@pytest.mark.parametrize("code", RULER_CODES)
def test_it_rejects_zero_on_a_one_to_ten_ruler(code):
    with pytest.raises(ScoringError) as info:
        score("readiness_ruler", {"scale": "1-10", code: 0})
    assert info.value.errors == {
        code: [f"{code} must be a whole number from 1 to 10 on the 1-10 scale."]
    }


@pytest.mark.parametrize("code", RULER_CODES)
def test_it_rejects_positions_off_the_ruler(code):
    for bad in [-1, 11, 5.5, "5", True]:
        with pytest.raises(ScoringError) as info:
            score("readiness_ruler", {"scale": "0-10", code: bad})
        assert info.value.errors[code] == [f"{code} must be a whole number from 0 to 10."]


def test_it_requires_the_scale_and_at_least_one_ruler():
    with pytest.raises(ScoringError) as info:
        score("readiness_ruler", {})
    assert info.value.errors == {
        "scale": ["scale is required."],
        "non_field_errors": ["Give at least one of importance, confidence, readiness."],
    }


@pytest.mark.parametrize("scale", ["0 - 10", "1-5", 10, None])
def test_it_rejects_scales_other_than_the_two_known(scale):
    with pytest.raises(ScoringError) as info:
        score("readiness_ruler", {"scale": scale, "importance": 5})
    assert "scale" in info.value.errors


@settings(max_examples=50, deadline=None)
@given(answers=valid_answers())
def test_it_reports_every_given_ruler_within_its_scale(answers):
    result = score("readiness_ruler", answers)
    low = 0 if answers["scale"] == "0-10" else 1
    assert result.subscales == {c: answers[c] for c in RULER_CODES if c in answers}
    assert all(low <= v <= 10 for v in result.subscales.values())
