"""COWS: non-contiguous item values, item 1 from the resting pulse, and the five bands."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessments.instruments import ScoringError, score
from assessments.instruments.cows import DEFINITION

# Clinical reference, COWS allowed values per item.
ALLOWED = {
    "item_2": (0, 1, 2, 3, 4),
    "item_3": (0, 1, 3, 5),
    "item_4": (0, 1, 2, 5),
    "item_5": (0, 1, 2, 4),
    "item_6": (0, 1, 2, 4),
    "item_7": (0, 1, 2, 3, 5),
    "item_8": (0, 1, 2, 4),
    "item_9": (0, 1, 2, 4),
    "item_10": (0, 1, 2, 4),
    "item_11": (0, 3, 5),
}
PULSE_FOR_POINTS = {0: 70, 1: 90, 2: 110, 4: 130}
ANSWERS = st.fixed_dictionaries(
    {"resting_pulse_bpm": st.integers(20, 250)}
    | {c: st.sampled_from(v) for c, v in ALLOWED.items()}
)


def resting(**items):
    return {"resting_pulse_bpm": 70} | dict.fromkeys(ALLOWED, 0) | items


def with_total(total):
    """Greedy fill: pulse points first, then the largest allowed value that still fits."""
    pulse_points = max(p for p in PULSE_FOR_POINTS if p <= total)
    answers = resting(resting_pulse_bpm=PULSE_FOR_POINTS[pulse_points])
    remaining = total - pulse_points
    for code, values in ALLOWED.items():
        answers[code] = max(v for v in values if v <= remaining)
        remaining -= answers[code]
    assert remaining == 0
    return answers


def test_it_offers_exactly_the_reference_values_for_every_item():
    assert {c: DEFINITION.item(c).allowed_values for c in ALLOWED} == ALLOWED


@pytest.mark.parametrize("code", list(ALLOWED))
def test_it_rejects_every_unlisted_value(code):
    for value in range(-1, 7):
        if value in ALLOWED[code]:
            continue
        with pytest.raises(ScoringError) as info:
            score("cows", resting(**{code: value}))
        assert list(info.value.errors) == [code]
        assert str(ALLOWED[code])[1:-1] in info.value.errors[code][0]


@pytest.mark.parametrize(
    ("bpm", "points"),
    [(20, 0), (80, 0), (81, 1), (100, 1), (101, 2), (120, 2), (121, 4), (250, 4)],
)
def test_it_scores_item_1_from_the_pulse_at_every_edge(bpm, points):
    result = score("cows", resting(resting_pulse_bpm=bpm))
    assert result.item_scores["item_1"] == points
    assert result.total == points


@pytest.mark.parametrize("bpm", [19, 251, 0, -80, 80.0, "80", True])
def test_it_rejects_pulses_outside_twenty_to_two_fifty(bpm):
    with pytest.raises(ScoringError) as info:
        score("cows", resting(resting_pulse_bpm=bpm))
    assert info.value.errors == {
        "resting_pulse_bpm": ["resting_pulse_bpm must be a whole number from 20 to 250."]
    }


def test_it_refuses_item_1_and_asks_for_the_pulse():
    with pytest.raises(ScoringError) as info:
        score("cows", resting(item_1=2))
    assert info.value.errors == {
        "item_1": ["item_1 is computed from resting_pulse_bpm; give the pulse instead."]
    }


def test_it_requires_the_pulse():
    answers = resting()
    del answers["resting_pulse_bpm"]
    with pytest.raises(ScoringError) as info:
        score("cows", answers)
    assert info.value.errors == {"resting_pulse_bpm": ["resting_pulse_bpm is required."]}


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "below_mild"), (4, "below_mild"), (5, "mild"), (12, "mild"),
        (13, "moderate"), (24, "moderate"), (25, "moderately_severe"),
        (36, "moderately_severe"), (37, "severe"), (48, "severe"),
    ],
)  # fmt: skip
def test_it_bands_totals_at_every_edge(total, band):
    result = score("cows", with_total(total))
    assert (result.total, result.band) == (total, band)


def test_it_scores_eight_as_mild_without_any_flag():
    # Induction protocols start at 8: an action threshold kept out of the severity band.
    result = score("cows", with_total(8))
    assert (result.band, result.flags) == ("mild", [])


def test_it_reaches_forty_eight_only_with_every_maximum():
    answers = {"resting_pulse_bpm": 121} | {c: max(v) for c, v in ALLOWED.items()}
    assert score("cows", answers).total == 48


def test_it_matches_a_worked_example_built_from_the_scoring_rules():
    # Pulse 104 (2), sweat beads (3), frequent shifting (3), moderate dilation (2), aches (2),
    # runny nose (2), loose stool (2), slight tremor (2), yawning 3+ (2), irritable (2), no
    # gooseflesh (0): 22, moderate.
    answers = {
        "resting_pulse_bpm": 104, "item_2": 3, "item_3": 3, "item_4": 2, "item_5": 2,
        "item_6": 2, "item_7": 2, "item_8": 2, "item_9": 2, "item_10": 2, "item_11": 0,
    }  # fmt: skip
    result = score("cows", answers)
    assert (result.total, result.band, result.item_scores["item_1"]) == (22, "moderate", 2)


@settings(max_examples=50, deadline=None)
@given(answers=ANSWERS)
def test_it_always_scores_within_the_total_range(answers):
    result = score("cows", answers)
    assert 0 <= result.total <= 48
    assert result.total == sum(result.item_scores.values())
    assert DEFINITION.band_for(result.total).code == result.band


@settings(max_examples=50, deadline=None)
@given(answers=ANSWERS, data=st.data())
def test_it_never_lowers_the_total_when_one_answer_rises(answers, data):
    code = data.draw(st.sampled_from(["resting_pulse_bpm", *ALLOWED]))
    values = st.integers(20, 250) if code == "resting_pulse_bpm" else st.sampled_from(ALLOWED[code])
    low, high = sorted(data.draw(st.lists(values, min_size=2, max_size=2)))
    assert score("cows", answers | {code: low}).total <= score("cows", answers | {code: high}).total
