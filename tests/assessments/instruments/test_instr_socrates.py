"""SOCRATES 8D: 19 items 1-5, three subscales with exact membership, no total."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessments.instruments import ScoringError, score
from assessments.instruments.socrates import DEFINITION

CODES = [f"item_{n}" for n in range(1, 20)]
# Clinical reference section 2.
MEMBERSHIP = {
    "recognition": [1, 3, 7, 10, 12, 15, 17],
    "ambivalence": [2, 6, 11, 16],
    "taking_steps": [4, 5, 8, 9, 13, 14, 18, 19],
}
SUBSCALE_OF = {f"item_{n}": sub for sub, numbers in MEMBERSHIP.items() for n in numbers}
RANGES = {"recognition": (7, 35), "ambivalence": (4, 20), "taking_steps": (8, 40)}
ANSWERS = st.fixed_dictionaries({code: st.integers(1, 5) for code in CODES})


def test_it_publishes_the_reference_subscale_membership_and_ranges():
    published = {s["code"]: s for s in DEFINITION.to_dict()["subscales"]}
    for sub, numbers in MEMBERSHIP.items():
        assert published[sub]["items"] == [f"item_{n}" for n in numbers]
        assert tuple(published[sub]["range"]) == RANGES[sub]
    assert sorted(SUBSCALE_OF) == sorted(CODES)


def test_it_scores_the_floor_and_ceiling_of_each_subscale():
    assert score("socrates", dict.fromkeys(CODES, 1)).subscales == {
        s: r[0] for s, r in RANGES.items()
    }
    assert score("socrates", dict.fromkeys(CODES, 5)).subscales == {
        s: r[1] for s, r in RANGES.items()
    }


def test_it_gives_no_total_or_band():
    result = score("socrates", dict.fromkeys(CODES, 3))
    assert (result.total, result.band, result.flags) == (None, None, [])
    assert DEFINITION.total_range is None


@pytest.mark.parametrize("code", CODES)
def test_it_moves_only_the_items_own_subscale(code):
    base = score("socrates", dict.fromkeys(CODES, 1)).subscales
    raised = score("socrates", dict.fromkeys(CODES, 1) | {code: 5}).subscales
    changed = {sub for sub in base if base[sub] != raised[sub]}
    assert changed == {SUBSCALE_OF[code]}
    assert raised[SUBSCALE_OF[code]] - base[SUBSCALE_OF[code]] == 4


@pytest.mark.parametrize("code", CODES)
def test_it_rejects_values_outside_one_to_five(code):
    for bad in [0, 6]:
        with pytest.raises(ScoringError) as info:
            score("socrates", dict.fromkeys(CODES, 3) | {code: bad})
        assert info.value.errors == {
            code: [f"{code} must be one of the whole numbers 1, 2, 3, 4, 5."]
        }


@settings(max_examples=50, deadline=None)
@given(answers=ANSWERS)
def test_it_keeps_every_subscale_within_its_range(answers):
    subscales = score("socrates", answers).subscales
    for sub, (low, high) in RANGES.items():
        assert low <= subscales[sub] <= high


@settings(max_examples=50, deadline=None)
@given(
    answers=ANSWERS,
    code=st.sampled_from(CODES),
    values=st.lists(st.integers(1, 5), min_size=2, max_size=2),
)
def test_it_never_lowers_a_subscale_when_one_answer_rises(answers, code, values):
    low, high = sorted(values)
    lower = score("socrates", answers | {code: low}).subscales
    higher = score("socrates", answers | {code: high}).subscales
    assert all(lower[sub] <= higher[sub] for sub in RANGES)
