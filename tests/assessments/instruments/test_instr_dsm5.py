"""DSM-5-TR SUD criteria: count, severity bands, optional remission months, no ICD codes."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessments.instruments import ScoringError, score
from assessments.instruments.dsm5 import DEFINITION, MONTHS, NO_DISORDER_NOTE

CODES = [f"criterion_{n}" for n in range(1, 12)]
ANSWERS = st.fixed_dictionaries({code: st.sampled_from([0, 1]) for code in CODES})


def met(count, **extra):
    return {code: int(i < count) for i, code in enumerate(CODES)} | extra


@pytest.mark.parametrize(
    ("count", "band"),
    [
        (0, "none"), (1, "none"), (2, "mild"), (3, "mild"), (4, "moderate"),
        (5, "moderate"), (6, "severe"), (11, "severe"),
    ],
)  # fmt: skip
def test_it_names_severity_by_count_at_every_edge(count, band):
    result = score("dsm5", met(count))
    assert (result.total, result.band, result.details["criteria_count"]) == (count, band, count)
    assert result.details["criteria_met"] == list(range(1, count + 1))


@pytest.mark.parametrize(
    ("months", "remission"),
    [
        (None, "none"),
        (0, "none"),
        (2, "none"),
        (3, "early"),
        (11, "early"),
        (12, "sustained"),
        (240, "sustained"),
    ],
)
def test_it_derives_the_remission_specifier_from_the_months(months, remission):
    answers = met(4) | ({MONTHS: months} if months is not None else {})
    result = score("dsm5", answers)
    assert result.details["remission"] == remission
    assert result.band == "moderate"


def test_it_gives_no_remission_when_no_disorder_was_met():
    result = score("dsm5", met(1, **{MONTHS: 12}))
    assert result.details["remission"] == "none"
    assert result.notes == [NO_DISORDER_NOTE]


@pytest.mark.parametrize("bad", [-1, 1201, 3.0, "12", True])
def test_it_rejects_months_that_are_not_a_whole_number_in_range(bad):
    with pytest.raises(ScoringError) as info:
        score("dsm5", met(4, **{MONTHS: bad}))
    assert info.value.errors == {MONTHS: [f"{MONTHS} must be a whole number from 0 to 1200."]}


@pytest.mark.parametrize("code", CODES)
def test_it_accepts_only_met_or_not_met(code):
    for bad in [-1, 2]:
        with pytest.raises(ScoringError) as info:
            score("dsm5", met(0) | {code: bad})
        assert info.value.errors == {code: [f"{code} must be one of the whole numbers 0, 1."]}


def test_it_carries_no_icd_codes():
    text = json.dumps(DEFINITION.to_dict()) + json.dumps(score("dsm5", met(6)).to_dict())
    assert "F19" not in text and "icd" not in text.lower()


@settings(max_examples=50, deadline=None)
@given(answers=ANSWERS)
def test_it_always_counts_within_zero_to_eleven(answers):
    result = score("dsm5", answers)
    assert result.total == sum(answers.values())
    assert DEFINITION.band_for(result.total).code == result.band


@settings(max_examples=50, deadline=None)
@given(answers=ANSWERS, code=st.sampled_from(CODES))
def test_it_never_lowers_the_count_when_a_criterion_is_met(answers, code):
    assert score("dsm5", answers | {code: 0}).total < score("dsm5", answers | {code: 1}).total
