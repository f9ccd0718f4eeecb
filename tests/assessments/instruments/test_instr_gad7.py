"""GAD-7: seven items 0-3, severity bands, and the separate >= 10 positive-screen flag."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessments.instruments import ScoringError, score
from assessments.instruments.gad7 import DEFINITION

CODES = [f"item_{n}" for n in range(1, 8)]
ANSWERS = st.fixed_dictionaries({code: st.integers(0, 3) for code in CODES})


def with_total(total):
    answers = {}
    for code in CODES:
        answers[code] = min(3, total)
        total -= answers[code]
    assert total == 0
    return answers


def test_it_publishes_the_reference_loinc_codes():
    assert (DEFINITION.loinc_panel, DEFINITION.loinc_total) == ("69737-5", "70274-6")
    assert DEFINITION.total_range == (0, 21)


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"),
        (10, "moderate"), (14, "moderate"), (15, "severe"), (21, "severe"),
    ],
)  # fmt: skip
def test_it_bands_totals_at_every_edge(total, band):
    result = score("gad7", with_total(total))
    assert (result.total, result.band) == (total, band)


@pytest.mark.parametrize(
    ("total", "flags"), [(9, []), (10, ["positive_screen"]), (21, ["positive_screen"])]
)
def test_it_flags_a_positive_screen_from_ten(total, flags):
    assert score("gad7", with_total(total)).flag_codes == flags


@pytest.mark.parametrize("code", CODES)
def test_it_rejects_values_outside_zero_to_three(code):
    for bad in [-1, 4]:
        with pytest.raises(ScoringError) as info:
            score("gad7", with_total(0) | {code: bad})
        assert info.value.errors == {code: [f"{code} must be one of the whole numbers 0, 1, 2, 3."]}


@settings(max_examples=50, deadline=None)
@given(answers=ANSWERS)
def test_it_always_scores_within_the_total_range(answers):
    result = score("gad7", answers)
    assert 0 <= result.total <= 21
    assert DEFINITION.band_for(result.total).code == result.band


@settings(max_examples=50, deadline=None)
@given(
    answers=ANSWERS,
    code=st.sampled_from(CODES),
    values=st.lists(st.integers(0, 3), min_size=2, max_size=2),
)
def test_it_never_lowers_the_total_when_one_answer_rises(answers, code, values):
    low, high = sorted(values)
    assert score("gad7", answers | {code: low}).total <= score("gad7", answers | {code: high}).total
