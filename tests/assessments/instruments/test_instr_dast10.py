"""DAST-10: yes (1) / no (0) answers, item 3 reverse-scored, bands and the >= 3 flag."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessments.instruments import ScoringError, score
from assessments.instruments.dast10 import DEFINITION

CODES = [f"item_{n}" for n in range(1, 11)]
PLAIN = [c for c in CODES if c != "item_3"]
ANSWERS = st.fixed_dictionaries({code: st.sampled_from([0, 1]) for code in CODES})


def scoring(total):
    """Answers worth ``total`` points: item 3 answered yes (0 points) until the tenth point."""
    answers = dict.fromkeys(CODES, 0) | {"item_3": 1}
    for code in PLAIN[: min(total, 9)]:
        answers[code] = 1
    if total == 10:
        answers["item_3"] = 0
    return answers


def test_it_publishes_the_reference_loinc_codes():
    assert (DEFINITION.loinc_panel, DEFINITION.loinc_total) == ("82666-9", "82667-7")
    assert DEFINITION.total_range == (0, 10)


def test_it_scores_an_all_no_form_as_one_because_item_3_is_reversed():
    result = score("dast10", dict.fromkeys(CODES, 0))
    assert (result.total, result.band, result.flags) == (1, "low", [])
    assert result.item_scores["item_3"] == 1


def test_it_scores_an_all_yes_form_as_nine():
    result = score("dast10", dict.fromkeys(CODES, 1))
    assert (result.total, result.band) == (9, "severe")
    assert result.item_scores["item_3"] == 0


def test_it_reaches_zero_and_ten():
    assert score("dast10", scoring(0)).total == 0
    assert score("dast10", dict.fromkeys(PLAIN, 0) | {"item_3": 1}).total == 0
    assert score("dast10", dict.fromkeys(PLAIN, 1) | {"item_3": 0}).total == 10


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "none"), (1, "low"), (2, "low"), (3, "moderate"), (5, "moderate"),
        (6, "substantial"), (8, "substantial"), (9, "severe"), (10, "severe"),
    ],
)  # fmt: skip
def test_it_bands_totals_at_every_edge(total, band):
    result = score("dast10", scoring(total))
    assert (result.total, result.band) == (total, band)


@pytest.mark.parametrize(
    ("total", "flags"), [(2, []), (3, ["further_assessment"]), (10, ["further_assessment"])]
)
def test_it_asks_for_further_assessment_from_three(total, flags):
    assert score("dast10", scoring(total)).flag_codes == flags


def test_it_keeps_the_raw_answer_and_reports_the_reversed_points():
    result = score("dast10", scoring(0))
    assert result.item_scores == dict.fromkeys(CODES, 0)


@pytest.mark.parametrize("code", CODES)
def test_it_accepts_only_one_for_yes_and_zero_for_no(code):
    for bad in [-1, 2]:
        with pytest.raises(ScoringError) as info:
            score("dast10", scoring(0) | {code: bad})
        assert info.value.errors == {code: [f"{code} must be one of the whole numbers 0, 1."]}


@settings(max_examples=50, deadline=None)
@given(answers=ANSWERS)
def test_it_always_scores_within_the_total_range(answers):
    result = score("dast10", answers)
    assert 0 <= result.total <= 10
    assert result.total == sum(answers[c] for c in PLAIN) + (1 - answers["item_3"])


@settings(max_examples=50, deadline=None)
@given(answers=ANSWERS, code=st.sampled_from(CODES))
def test_it_never_lowers_the_total_when_one_scored_value_rises(answers, code):
    # The scored value rises when a plain item goes from no to yes, or item 3 from yes to no.
    lower, higher = (1, 0) if code == "item_3" else (0, 1)
    assert (
        score("dast10", answers | {code: lower}).total
        < score("dast10", answers | {code: higher}).total
    )
