"""PHQ-9: nine items 0-3, bands, unscored difficulty item and the item 9 suicide-risk flag."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessments.instruments import ScoringError, score
from assessments.instruments.phq9 import DEFINITION

CODES = [f"item_{n}" for n in range(1, 10)]
ANSWERS = st.fixed_dictionaries({code: st.integers(0, 3) for code in CODES})


def with_total(total, item_9=0):
    """Answers reaching ``total``, filling items 1-8 first so item 9 stays as given."""
    answers = dict.fromkeys(CODES, 0) | {"item_9": item_9}
    remaining = total - item_9
    for code in CODES[:8]:
        answers[code] = min(3, remaining)
        remaining -= answers[code]
    assert remaining == 0
    return answers


def test_it_publishes_the_reference_loinc_codes():
    assert (DEFINITION.loinc_panel, DEFINITION.loinc_total) == ("44249-1", "44261-6")
    assert DEFINITION.item("item_9").loinc == "44260-8"
    assert DEFINITION.total_range == (0, 27)


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"), (4, "minimal"),
        (5, "mild"), (9, "mild"),
        (10, "moderate"), (14, "moderate"),
        (15, "moderately_severe"), (19, "moderately_severe"),
        (20, "severe"), (24, "severe"),
    ],
)  # fmt: skip
def test_it_bands_totals_at_every_edge(total, band):
    result = score("phq9", with_total(total))
    assert (result.total, result.band) == (total, band)


def test_it_scores_the_maximum_as_severe_with_the_flag():
    result = score("phq9", dict.fromkeys(CODES, 3))
    assert (result.total, result.band, result.band_label) == (27, "severe", "Severe")
    assert result.flag_codes == ["suicide_risk"]


@pytest.mark.parametrize("item_9", [1, 2, 3])
def test_it_flags_suicide_risk_whenever_item_9_is_above_zero(item_9):
    result = score("phq9", with_total(item_9, item_9=item_9))
    assert result.band == "minimal"
    assert result.flag_codes == ["suicide_risk"]
    assert "same-day suicide risk assessment" in result.flags[0]["text"]


def test_it_does_not_flag_a_high_total_when_item_9_is_zero():
    result = score("phq9", with_total(24, item_9=0))
    assert result.band == "severe"
    assert result.flags == []


def test_it_records_but_never_scores_the_difficulty_item():
    answers = with_total(12)
    assert score("phq9", answers | {"difficulty": 3}).total == 12
    assert score("phq9", answers | {"difficulty": None}).total == 12
    assert "difficulty" not in score("phq9", answers | {"difficulty": 3}).item_scores


@pytest.mark.parametrize("code", [*CODES, "difficulty"])
def test_it_rejects_values_outside_zero_to_three(code):
    for bad in [-1, 4]:
        with pytest.raises(ScoringError) as info:
            score("phq9", with_total(0) | {code: bad})
        assert info.value.errors == {code: [f"{code} must be one of the whole numbers 0, 1, 2, 3."]}


def test_it_matches_a_worked_example_built_from_the_scoring_rules():
    # 2+2+2+2+1+1+2+1+0 = 13: moderate, no flag (items as on a typical completed form).
    answers = dict(zip(CODES, [2, 2, 2, 2, 1, 1, 2, 1, 0], strict=True))
    result = score("phq9", answers)
    assert (result.total, result.band, result.flags) == (13, "moderate", [])
    assert result.item_scores == answers


@settings(max_examples=50, deadline=None)
@given(answers=ANSWERS)
def test_it_always_scores_within_the_total_range(answers):
    result = score("phq9", answers)
    assert 0 <= result.total <= 27
    assert DEFINITION.band_for(result.total).code == result.band
    assert ("suicide_risk" in result.flag_codes) == (answers["item_9"] > 0)


@settings(max_examples=50, deadline=None)
@given(
    answers=ANSWERS,
    code=st.sampled_from(CODES),
    values=st.lists(st.integers(0, 3), min_size=2, max_size=2),
)
def test_it_never_lowers_the_total_when_one_answer_rises(answers, code, values):
    low, high = sorted(values)
    assert score("phq9", answers | {code: low}).total <= score("phq9", answers | {code: high}).total
