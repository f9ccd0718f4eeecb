"""ASQ: item 5 logic, the three outcomes and their suicide-risk flags."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessments.instruments import ScoringError, score
from assessments.instruments.asq import (
    DECLINED_ITEM_5_NOTE,
    DECLINED_SCREEN_NOTE,
    DEFINITION,
    UNEXPECTED_ITEM_5_NOTE,
)

NO, YES, DECLINED = 0, 1, 2
SCREEN = ["item_1", "item_2", "item_3", "item_4"]
ALL_NO = dict.fromkeys(SCREEN, NO)
ORDER = {"negative": 0, "non_acute_positive": 1, "acute_positive": 2}


@st.composite
def valid_answers(draw):
    answers = {code: draw(st.sampled_from([NO, YES, DECLINED])) for code in SCREEN}
    positive = any(v != NO for v in answers.values())
    item_5 = draw(st.sampled_from([NO, YES, DECLINED]) if positive else st.none())
    return answers | ({"item_5": item_5} if item_5 is not None else {})


def test_it_publishes_three_outcomes_and_no_total():
    assert [c.code for c in DEFINITION.categories] == list(ORDER)
    assert DEFINITION.total_range is None
    assert DEFINITION.item("item_5").required is False


def test_it_is_negative_when_items_1_to_4_are_all_no():
    result = score("asq", ALL_NO)
    assert (result.total, result.band, result.flags, result.notes) == (None, "negative", [], [])


@pytest.mark.parametrize("code", SCREEN)
@pytest.mark.parametrize("answer", [YES, DECLINED])
def test_it_requires_item_5_once_any_screen_item_is_yes_or_declined(code, answer):
    with pytest.raises(ScoringError) as info:
        score("asq", ALL_NO | {code: answer})
    assert info.value.errors == {
        "item_5": ["item_5 is required when any of item_1 to item_4 is yes or declined."]
    }


@pytest.mark.parametrize("code", SCREEN)
def test_it_is_non_acute_positive_with_a_yes_and_item_5_no(code):
    result = score("asq", ALL_NO | {code: YES, "item_5": NO})
    assert result.band == "non_acute_positive"
    assert result.flag_codes == ["asq_positive"]
    assert result.notes == []


@pytest.mark.parametrize("code", SCREEN)
def test_it_counts_a_declined_screen_answer_as_positive(code):
    result = score("asq", ALL_NO | {code: DECLINED, "item_5": NO})
    assert result.band == "non_acute_positive"
    assert result.flag_codes == ["asq_positive"]
    assert result.notes == [DECLINED_SCREEN_NOTE]


def test_it_is_acute_positive_when_item_5_is_yes():
    result = score("asq", ALL_NO | {"item_1": YES, "item_5": YES})
    assert result.band == "acute_positive"
    assert result.flag_codes == ["asq_positive", "asq_acute"]
    assert "imminent risk" in result.band_label


def test_it_treats_a_declined_item_5_as_acute():
    result = score("asq", ALL_NO | {"item_3": YES, "item_5": DECLINED})
    assert result.band == "acute_positive"
    assert result.notes == [DECLINED_ITEM_5_NOTE]


def test_it_accepts_an_unneeded_item_5_no_as_negative():
    result = score("asq", ALL_NO | {"item_5": NO})
    assert (result.band, result.flags) == ("negative", [])


@pytest.mark.parametrize("item_5", [YES, DECLINED])
def test_it_never_discards_a_yes_or_refusal_on_an_unneeded_item_5(item_5):
    result = score("asq", ALL_NO | {"item_5": item_5})
    assert result.band == "acute_positive"
    assert result.flag_codes == ["asq_positive", "asq_acute"]
    assert UNEXPECTED_ITEM_5_NOTE in result.notes


@pytest.mark.parametrize("code", [*SCREEN, "item_5"])
def test_it_rejects_unlisted_answers_once_per_item(code):
    for bad in [-1, 3, 9]:
        with pytest.raises(ScoringError) as info:
            score("asq", ALL_NO | {"item_1": YES, code: bad})
        assert info.value.errors[code] == [f"{code} must be one of the whole numbers 0, 1, 2."]


@settings(max_examples=50, deadline=None)
@given(answers=valid_answers())
def test_it_always_gives_an_outcome_with_matching_flags(answers):
    result = score("asq", answers)
    assert result.band in ORDER and result.total is None
    assert ("asq_positive" in result.flag_codes) == (result.band != "negative")
    assert ("asq_acute" in result.flag_codes) == (result.band == "acute_positive")
    screen_positive = any(answers[c] != NO for c in SCREEN)
    assert (result.band != "negative") == (screen_positive or answers.get("item_5", NO) != NO)


@settings(max_examples=50, deadline=None)
@given(
    answers=valid_answers(), code=st.sampled_from(SCREEN), answer=st.sampled_from([YES, DECLINED])
)
def test_it_never_lowers_the_risk_when_a_screen_answer_turns_positive(answers, code, answer):
    before = score("asq", answers | {code: NO} if answers[code] == NO else answers)
    after = score("asq", answers | {code: answer, "item_5": answers.get("item_5", NO)})
    assert ORDER[after.band] >= ORDER[before.band]
