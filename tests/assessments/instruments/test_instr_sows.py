"""SOWS (Handelsman, 16 items 0-4): version naming and the CTN-0094 harmonised bands."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessments.instruments import ScoringError, score
from assessments.instruments.sows import BANDS_NOTE, DEFINITION

CODES = [f"item_{n}" for n in range(1, 17)]
ANSWERS = st.fixed_dictionaries({code: st.integers(0, 4) for code in CODES})


def with_total(total):
    answers = {}
    for code in CODES:
        answers[code] = min(4, total)
        total -= answers[code]
    assert total == 0
    return answers


def test_it_names_handelsmans_scale_so_it_is_never_mixed_with_gossops():
    assert "handelsman" in DEFINITION.version.lower()
    assert "Handelsman" in DEFINITION.title
    assert "Gossop" in DEFINITION.description
    assert len(DEFINITION.items) == 16
    assert (DEFINITION.loinc_panel, DEFINITION.loinc_total) == ("", "")


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "none"), (1, "mild"), (10, "mild"), (11, "moderate"),
        (20, "moderate"), (21, "severe"), (64, "severe"),
    ],
)  # fmt: skip
def test_it_bands_totals_at_every_harmonised_edge(total, band):
    result = score("sows", with_total(total))
    assert (result.total, result.band) == (total, band)


def test_it_says_the_bands_are_a_harmonisation_not_the_original():
    result = score("sows", with_total(5))
    assert result.notes == [BANDS_NOTE]
    assert "CTN-0094" in BANDS_NOTE and "no severity bands of its own" in BANDS_NOTE


@pytest.mark.parametrize("code", CODES)
def test_it_rejects_values_outside_zero_to_four(code):
    for bad in [-1, 5]:
        with pytest.raises(ScoringError) as info:
            score("sows", with_total(0) | {code: bad})
        assert info.value.errors == {
            code: [f"{code} must be one of the whole numbers 0, 1, 2, 3, 4."]
        }


@settings(max_examples=50, deadline=None)
@given(answers=ANSWERS)
def test_it_always_scores_within_the_total_range(answers):
    result = score("sows", answers)
    assert 0 <= result.total <= 64
    assert DEFINITION.band_for(result.total).code == result.band


@settings(max_examples=50, deadline=None)
@given(
    answers=ANSWERS,
    code=st.sampled_from(CODES),
    values=st.lists(st.integers(0, 4), min_size=2, max_size=2),
)
def test_it_never_lowers_the_total_when_one_answer_rises(answers, code, values):
    low, high = sorted(values)
    assert score("sows", answers | {code: low}).total <= score("sows", answers | {code: high}).total
