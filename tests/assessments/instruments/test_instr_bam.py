"""BAM: Use, Risk and Protective subscales with their flags; items 7a-7g and 17 unscored."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessments.instruments import ScoringError, score
from assessments.instruments.bam import DEFINITION, DRUG_CLASS_NOTE

# Clinical reference section 2.
MEMBERSHIP = {
    "use": [4, 5, 6],
    "risk": [1, 2, 3, 8, 11, 15],
    "protective": [9, 10, 12, 13, 14, 16],
}
SUBSCALE_OF = {f"item_{n}": sub for sub, numbers in MEMBERSHIP.items() for n in numbers}
DRUG_CLASSES = [f"item_7{letter}" for letter in "abcdefg"]
REQUIRED = [f"item_{n}" for n in [*range(1, 7), *range(8, 18)]]
VALUES = {code: DEFINITION.item(code).allowed_values for code in REQUIRED + DRUG_CLASSES}
ANSWERS = st.fixed_dictionaries(
    {code: st.sampled_from(VALUES[code]) for code in REQUIRED},
    optional={code: st.sampled_from(VALUES[code]) for code in DRUG_CLASSES},
)


def answers_with(use=0, risk=0, protective=24, **items):
    """Answers with the given subscale sums (filled item by item) and item 17 at 2."""
    answers = dict.fromkeys(REQUIRED, 0) | {"item_17": 2}
    for sub, target in (("use", use), ("risk", risk), ("protective", protective)):
        for n in MEMBERSHIP[sub]:
            code = f"item_{n}"
            answers[code] = max(v for v in VALUES[code] if v <= target)
            target -= answers[code]
        assert target == 0, sub
    return answers | items


def test_it_publishes_the_reference_subscale_membership():
    published = {s["code"]: s for s in DEFINITION.to_dict()["subscales"]}
    for sub, numbers in MEMBERSHIP.items():
        assert published[sub]["items"] == [f"item_{n}" for n in numbers]
    assert published["use"]["range"] == [0, 12]
    assert published["risk"]["range"] == [0, 24]
    assert published["protective"]["range"] == [0, 24]


@pytest.mark.parametrize("code", sorted(SUBSCALE_OF))
def test_it_moves_only_the_items_own_subscale(code):
    base = answers_with(protective=0)
    before = score("bam", base).subscales
    after = score("bam", base | {code: 4}).subscales
    assert {sub for sub in before if before[sub] != after[sub]} == {SUBSCALE_OF[code]}
    assert after[SUBSCALE_OF[code]] - before[SUBSCALE_OF[code]] == 4


def test_it_never_scores_items_7a_to_7g_or_17():
    base = answers_with(use=2, risk=5, protective=14)
    expected = score("bam", base).subscales
    for code in [*DRUG_CLASSES, "item_17"]:
        assert score("bam", base | {code: 4}).subscales == expected
    assert not set(score("bam", base).item_scores) & {*DRUG_CLASSES, "item_17"}


def test_it_lets_items_7a_to_7g_be_left_out_but_requires_item_17():
    base = answers_with()
    score("bam", base)
    del base["item_17"]
    with pytest.raises(ScoringError) as info:
        score("bam", base)
    assert info.value.errors == {"item_17": ["item_17 is required."]}


def test_it_gives_no_total():
    result = score("bam", answers_with())
    assert (result.total, result.band) == (None, None)
    assert DEFINITION.total_range is None


@pytest.mark.parametrize(("use", "flagged"), [(0, False), (1, True), (12, True)])
def test_it_flags_any_use_from_one(use, flagged):
    assert ("any_use" in score("bam", answers_with(use=use)).flag_codes) is flagged


@pytest.mark.parametrize(("risk", "flagged"), [(0, False), (11, False), (12, True), (24, True)])
def test_it_flags_risk_from_twelve(risk, flagged):
    assert ("high_risk" in score("bam", answers_with(risk=risk)).flag_codes) is flagged


@pytest.mark.parametrize(
    ("protective", "flagged"), [(0, True), (12, True), (13, False), (24, False)]
)
def test_it_flags_protection_at_twelve_or_less(protective, flagged):
    result = score("bam", answers_with(protective=protective))
    assert result.subscales["protective"] == protective
    assert ("low_protection" in result.flag_codes) is flagged


def test_it_scores_the_income_question_as_no_zero_or_yes_four():
    assert DEFINITION.item("item_14").allowed_values == (0, 4)
    for bad in (1, 2, 3):
        with pytest.raises(ScoringError) as info:
            score("bam", answers_with(item_14=bad))
        assert info.value.errors == {"item_14": ["item_14 must be one of the whole numbers 0, 4."]}


@pytest.mark.parametrize("code", [c for c in REQUIRED + DRUG_CLASSES if c != "item_14"])
def test_it_rejects_values_outside_zero_to_four(code):
    for bad in [-1, 5]:
        with pytest.raises(ScoringError) as info:
            score("bam", answers_with() | {code: bad})
        assert info.value.errors == {
            code: [f"{code} must be one of the whole numbers 0, 1, 2, 3, 4."]
        }


def test_it_notes_drug_classes_reported_without_any_drug_days():
    result = score("bam", answers_with(item_7e=3))
    assert result.notes == [DRUG_CLASS_NOTE]
    assert score("bam", answers_with(item_6=1, item_7e=1)).notes == []


@settings(max_examples=50, deadline=None)
@given(answers=ANSWERS)
def test_it_keeps_every_subscale_within_its_range(answers):
    result = score("bam", answers)
    assert 0 <= result.subscales["use"] <= 12
    assert 0 <= result.subscales["risk"] <= 24
    assert 0 <= result.subscales["protective"] <= 24
    assert ("any_use" in result.flag_codes) == (result.subscales["use"] >= 1)
    assert ("high_risk" in result.flag_codes) == (result.subscales["risk"] >= 12)
    assert ("low_protection" in result.flag_codes) == (result.subscales["protective"] <= 12)


@settings(max_examples=50, deadline=None)
@given(answers=ANSWERS, data=st.data())
def test_it_never_lowers_a_subscale_when_one_answer_rises(answers, data):
    code = data.draw(st.sampled_from(REQUIRED + DRUG_CLASSES))
    low, high = sorted(data.draw(st.lists(st.sampled_from(VALUES[code]), min_size=2, max_size=2)))
    lower = score("bam", answers | {code: low}).subscales
    higher = score("bam", answers | {code: high}).subscales
    assert all(lower[sub] <= higher[sub] for sub in MEMBERSHIP)
