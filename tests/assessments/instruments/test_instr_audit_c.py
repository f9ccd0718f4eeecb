"""AUDIT-C: three items 0-4 with a sex-dependent positive cut-off taken from the context."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessments.instruments import ScoringError, score
from assessments.instruments.audit_c import DEFINITION, UNKNOWN_SEX_NOTE

CODES = ["item_1", "item_2", "item_3"]
ANSWERS = st.fixed_dictionaries({code: st.integers(0, 4) for code in CODES})
SEXES = st.sampled_from(["male", "female", None])


def with_total(total):
    answers = {}
    for code in CODES:
        answers[code] = min(4, total)
        total -= answers[code]
    return answers


def test_it_publishes_the_audit_c_codes_not_the_audit_codes():
    assert (DEFINITION.loinc_panel, DEFINITION.loinc_total) == ("72109-2", "75626-2")
    assert DEFINITION.total_range == (0, 12)


@pytest.mark.parametrize(
    ("sex", "total", "positive"),
    [("male", 3, False), ("male", 4, True), ("female", 2, False), ("female", 3, True)],
)
def test_it_applies_the_cut_off_for_the_patients_sex(sex, total, positive):
    result = score("audit_c", with_total(total), context={"sex": sex})
    assert (result.flag_codes == ["positive_screen"]) is positive
    assert result.notes == []
    assert result.details == {"cutoff": 4 if sex == "male" else 3, "sex": sex}


@pytest.mark.parametrize("context", [None, {}, {"sex": None}, {"age": 50}])
@pytest.mark.parametrize(("total", "positive"), [(2, False), (3, True)])
def test_it_uses_three_and_says_so_when_sex_is_unknown(context, total, positive):
    result = score("audit_c", with_total(total), context=context)
    assert (result.flag_codes == ["positive_screen"]) is positive
    assert result.notes == [UNKNOWN_SEX_NOTE]
    assert result.details["cutoff"] == 3


@pytest.mark.parametrize("sex", ["M", "Male", "other", 1, True])
def test_it_rejects_unrecognised_sex_values_without_echoing_them(sex):
    with pytest.raises(ScoringError) as info:
        score("audit_c", with_total(0), context={"sex": sex})
    assert info.value.errors == {
        "non_field_errors": ["Context sex must be one of 'male', 'female', null."]
    }


def test_it_scores_the_extremes():
    assert score("audit_c", with_total(0), context={"sex": "male"}).total == 0
    result = score("audit_c", with_total(12), context={"sex": "male"})
    assert (result.total, result.band, result.flag_codes) == (12, None, ["positive_screen"])


@pytest.mark.parametrize("code", CODES)
def test_it_rejects_values_outside_zero_to_four(code):
    for bad in [-1, 5]:
        with pytest.raises(ScoringError) as info:
            score("audit_c", with_total(0) | {code: bad})
        assert info.value.errors == {
            code: [f"{code} must be one of the whole numbers 0, 1, 2, 3, 4."]
        }


@settings(max_examples=50, deadline=None)
@given(answers=ANSWERS, sex=SEXES)
def test_it_always_scores_within_the_total_range(answers, sex):
    result = score("audit_c", answers, context={"sex": sex})
    assert 0 <= result.total <= 12


@settings(max_examples=50, deadline=None)
@given(
    answers=ANSWERS,
    sex=SEXES,
    code=st.sampled_from(CODES),
    values=st.lists(st.integers(0, 4), min_size=2, max_size=2),
)
def test_it_never_lowers_the_total_when_one_answer_rises(answers, sex, code, values):
    low, high = sorted(values)
    ctx = {"sex": sex}
    lower = score("audit_c", answers | {code: low}, context=ctx)
    higher = score("audit_c", answers | {code: high}, context=ctx)
    assert lower.total <= higher.total
    assert len(lower.flags) <= len(higher.flags)
