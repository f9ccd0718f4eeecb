"""PHQ-2: two items, total 0-6, positive screen at 3 (an action threshold, not a band)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessments.instruments import ScoringError, score
from assessments.instruments.phq2 import DEFINITION

ANSWERS = st.fixed_dictionaries({"item_1": st.integers(0, 3), "item_2": st.integers(0, 3)})


def test_it_publishes_the_reference_loinc_codes_and_no_bands():
    assert (DEFINITION.loinc_panel, DEFINITION.loinc_total) == ("55757-9", "55758-7")
    assert DEFINITION.bands == ()
    assert DEFINITION.item_codes == ("item_1", "item_2")


@pytest.mark.parametrize(
    ("answers", "total", "flags"),
    [
        ({"item_1": 0, "item_2": 0}, 0, []),
        ({"item_1": 2, "item_2": 0}, 2, []),
        ({"item_1": 2, "item_2": 1}, 3, ["positive_screen"]),
        ({"item_1": 3, "item_2": 3}, 6, ["positive_screen"]),
    ],
)
def test_it_flags_a_positive_screen_from_three(answers, total, flags):
    result = score("phq2", answers)
    assert (result.total, result.band, result.flag_codes) == (total, None, flags)


def test_it_tells_the_clinician_to_give_the_phq9():
    assert "PHQ-9" in score("phq2", {"item_1": 3, "item_2": 0}).flags[0]["text"]


@pytest.mark.parametrize("bad", [-1, 4])
def test_it_rejects_values_outside_zero_to_three(bad):
    with pytest.raises(ScoringError) as info:
        score("phq2", {"item_1": bad, "item_2": bad})
    assert set(info.value.errors) == {"item_1", "item_2"}


def test_it_rejects_phq9_items_it_does_not_have():
    with pytest.raises(ScoringError) as info:
        score("phq2", {"item_1": 0, "item_2": 0, "item_3": 0})
    assert list(info.value.errors) == ["item_3"]


@settings(max_examples=50, deadline=None)
@given(answers=ANSWERS)
def test_it_always_scores_within_the_total_range(answers):
    result = score("phq2", answers)
    assert 0 <= result.total <= 6
    assert (result.flag_codes == ["positive_screen"]) == (result.total >= 3)


@settings(max_examples=50, deadline=None)
@given(
    answers=ANSWERS,
    code=st.sampled_from(["item_1", "item_2"]),
    values=st.lists(st.integers(0, 3), min_size=2, max_size=2),
)
def test_it_never_lowers_the_total_when_one_answer_rises(answers, code, values):
    low, high = sorted(values)
    assert score("phq2", answers | {code: low}).total <= score("phq2", answers | {code: high}).total
