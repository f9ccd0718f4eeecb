"""AUDIT: items 1-8 score 0-4, items 9-10 only 0, 2 or 4; WHO zones; positive from 8."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessments.instruments import ScoringError, score
from assessments.instruments.audit import DEFINITION

CODES = [f"item_{n}" for n in range(1, 11)]
VALUES = {code: [0, 1, 2, 3, 4] for code in CODES[:8]} | {"item_9": [0, 2, 4], "item_10": [0, 2, 4]}
ANSWERS = st.fixed_dictionaries({code: st.sampled_from(v) for code, v in VALUES.items()})


def with_total(total):
    """Fill items 1-8 first (up to 32), the rest on items 9-10 in steps of 2."""
    answers = dict.fromkeys(CODES, 0)
    for code in CODES[:8]:
        answers[code] = min(4, total)
        total -= answers[code]
    for code in ("item_9", "item_10"):
        answers[code] = min(4, total)
        total -= answers[code]
    assert total == 0
    return answers


def test_it_publishes_the_audit_codes_not_the_audit_c_codes():
    assert (DEFINITION.loinc_panel, DEFINITION.loinc_total) == ("72110-0", "75624-7")
    assert DEFINITION.total_range == (0, 40)


@pytest.mark.parametrize("code", ["item_9", "item_10"])
def test_it_offers_only_zero_two_and_four_on_items_9_and_10(code):
    assert DEFINITION.item(code).allowed_values == (0, 2, 4)
    for good in (0, 2, 4):
        assert score("audit", with_total(0) | {code: good}).total == good
    for bad in (1, 3, 5, -1):
        with pytest.raises(ScoringError) as info:
            score("audit", with_total(0) | {code: bad})
        assert info.value.errors == {code: [f"{code} must be one of the whole numbers 0, 2, 4."]}


@pytest.mark.parametrize("code", CODES[:8])
def test_it_rejects_values_outside_zero_to_four_on_items_1_to_8(code):
    for bad in [-1, 5]:
        with pytest.raises(ScoringError) as info:
            score("audit", with_total(0) | {code: bad})
        assert info.value.errors == {
            code: [f"{code} must be one of the whole numbers 0, 1, 2, 3, 4."]
        }


@pytest.mark.parametrize(
    ("total", "zone"),
    [
        (0, "zone_1"), (7, "zone_1"), (8, "zone_2"), (15, "zone_2"),
        (16, "zone_3"), (19, "zone_3"), (20, "zone_4"), (40, "zone_4"),
    ],
)  # fmt: skip
def test_it_places_totals_in_who_zones_at_every_edge(total, zone):
    result = score("audit", with_total(total))
    assert (result.total, result.band) == (total, zone)


@pytest.mark.parametrize(
    ("total", "flags"), [(7, []), (8, ["positive_screen"]), (40, ["positive_screen"])]
)
def test_it_flags_a_positive_screen_from_eight(total, flags):
    assert score("audit", with_total(total)).flag_codes == flags


def test_it_matches_a_worked_example_built_from_the_scoring_rules():
    # Weekly drinker, 5-6 drinks, monthly binges, injury last year: 3+2+2+0+0+0+1+1+4+0 = 13.
    answers = dict(zip(CODES, [3, 2, 2, 0, 0, 0, 1, 1, 4, 0], strict=True))
    result = score("audit", answers)
    assert (result.total, result.band, result.flag_codes) == (13, "zone_2", ["positive_screen"])


@settings(max_examples=50, deadline=None)
@given(answers=ANSWERS)
def test_it_always_scores_within_the_total_range(answers):
    result = score("audit", answers)
    assert 0 <= result.total <= 40
    assert DEFINITION.band_for(result.total).code == result.band


@settings(max_examples=50, deadline=None)
@given(answers=ANSWERS, data=st.data())
def test_it_never_lowers_the_total_when_one_answer_rises(answers, data):
    code = data.draw(st.sampled_from(CODES))
    low, high = sorted(data.draw(st.lists(st.sampled_from(VALUES[code]), min_size=2, max_size=2)))
    assert (
        score("audit", answers | {code: low}).total <= score("audit", answers | {code: high}).total
    )
