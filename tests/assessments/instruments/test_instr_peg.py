"""PEG: mean of three 0-10 items, two decimals, no bands."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessments.instruments import ScoringError, score
from assessments.instruments.peg import DEFINITION

CODES = ["pain", "enjoyment", "activity"]
ANSWERS = st.fixed_dictionaries({code: st.integers(0, 10) for code in CODES})


def peg(pain, enjoyment, activity):
    return score("peg", {"pain": pain, "enjoyment": enjoyment, "activity": activity})


@pytest.mark.parametrize(
    ("values", "mean"),
    [((0, 0, 0), 0), ((10, 10, 10), 10), ((1, 0, 0), 0.33), ((2, 0, 0), 0.67), ((3, 4, 5), 4),
     ((7, 8, 8), 7.67), ((9, 10, 10), 9.67)],
)  # fmt: skip
def test_it_scores_the_mean_rounded_to_two_decimals(values, mean):
    result = peg(*values)
    assert result.total == mean
    assert (result.band, result.flags) == (None, [])


def test_it_publishes_no_bands_and_no_loinc():
    assert DEFINITION.bands == ()
    assert (DEFINITION.loinc_panel, DEFINITION.loinc_total) == ("", "")
    assert DEFINITION.item_codes == tuple(CODES)


@pytest.mark.parametrize("code", CODES)
def test_it_rejects_values_outside_zero_to_ten(code):
    for bad in [-1, 11]:
        answers = dict.fromkeys(CODES, 5) | {code: bad}
        with pytest.raises(ScoringError) as info:
            score("peg", answers)
        assert list(info.value.errors) == [code]
        assert "0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10" in info.value.errors[code][0]


@settings(max_examples=50, deadline=None)
@given(answers=ANSWERS)
def test_it_always_scores_within_the_total_range(answers):
    result = score("peg", answers)
    assert 0 <= result.total <= 10
    assert result.total == round(sum(answers.values()) / 3, 2)


@settings(max_examples=50, deadline=None)
@given(
    answers=ANSWERS,
    code=st.sampled_from(CODES),
    values=st.lists(st.integers(0, 10), min_size=2, max_size=2),
)
def test_it_never_lowers_the_score_when_one_answer_rises(answers, code, values):
    low, high = sorted(values)
    assert score("peg", answers | {code: low}).total <= score("peg", answers | {code: high}).total
