"""Registry and cross-instrument contracts: codes, LOINC, validation every instrument must share."""

import json

import pytest

from assessments.instruments import (
    REGISTRY,
    ScoringError,
    UnknownInstrument,
    all_instruments,
    get_instrument,
    score,
)

EXPECTED_CODES = [
    "phq9", "phq2", "gad7", "audit_c", "audit", "dast10", "cows",
    "sows", "peg", "asq", "readiness_ruler", "socrates", "bam", "dsm5",
]  # fmt: skip

# Clinical reference section 2; empty where none was found.
LOINC = {
    "phq9": ("44249-1", "44261-6"),
    "phq2": ("55757-9", "55758-7"),
    "gad7": ("69737-5", "70274-6"),
    "audit_c": ("72109-2", "75626-2"),
    "audit": ("72110-0", "75624-7"),
    "dast10": ("82666-9", "82667-7"),
    "cows": ("", ""),
    "sows": ("", ""),
    "peg": ("", ""),
    "asq": ("", ""),
    "readiness_ruler": ("", ""),
    "socrates": ("", ""),
    "bam": ("", ""),
    "dsm5": ("", ""),
}
BAD_TYPES = [True, False, "1", 1.0, 2.5, [0], {"value": 0}]


def minimal_answers(definition):
    """The lowest valid answer to every required item (plus one ruler for the Readiness Ruler)."""
    answers = {}
    for item in definition.items:
        if item.required:
            answers[item.code] = item.min_value if item.kind == "integer" else item.choices[0].value
    if definition.code == "readiness_ruler":
        answers["importance"] = 5
    return answers


ALL = pytest.mark.parametrize("definition", list(REGISTRY.values()), ids=list(REGISTRY))
BANDED = pytest.mark.parametrize(
    "definition",
    [d for d in REGISTRY.values() if d.bands],
    ids=[c for c, d in REGISTRY.items() if d.bands],
)


def test_it_registers_exactly_the_planned_instruments():
    assert list(REGISTRY) == EXPECTED_CODES
    assert [d.code for d in all_instruments()] == EXPECTED_CODES
    assert all(code == code.lower() for code in REGISTRY)


def test_it_ships_no_cssrs_or_kratom_dependence_scale():
    names = " ".join(f"{d.code} {d.title}".lower() for d in all_instruments())
    assert "c-ssrs" not in names and "cssrs" not in names and "kratom" not in names


@pytest.mark.parametrize("code", ["PHQ9", "phq-9", "cssrs", "", None, 9])
def test_it_raises_unknown_instrument_for_other_codes(code):
    with pytest.raises(UnknownInstrument) as info:
        get_instrument(code)
    assert isinstance(info.value, KeyError)
    assert "phq9" in str(info.value)


def test_it_does_not_echo_the_unknown_code():
    with pytest.raises(UnknownInstrument) as info:
        get_instrument("Jane Doe")
    assert "Jane Doe" not in str(info.value)


def test_it_scores_through_the_registry_like_the_definition():
    answers = {f"item_{n}": 1 for n in range(1, 10)}
    assert score("phq9", answers) == get_instrument("phq9").score(answers)
    with pytest.raises(UnknownInstrument):
        score("nope", answers)


@pytest.mark.parametrize("code", EXPECTED_CODES)
def test_it_uses_the_reference_loinc_codes(code):
    definition = get_instrument(code)
    assert (definition.loinc_panel, definition.loinc_total) == LOINC[code]


def test_it_keeps_panel_and_total_codes_distinct_and_unswapped():
    codes = [c for pair in LOINC.values() for c in pair if c]
    assert len(codes) == len(set(codes))
    assert get_instrument("audit").loinc_total != get_instrument("audit_c").loinc_total


@ALL
def test_it_publishes_a_json_definition_with_code_version_and_licence(definition):
    published = json.loads(json.dumps(definition.to_dict()))
    assert published["code"] == definition.code
    assert published["version"] and published["licence"]
    assert len(published["items"]) == len(definition.items)


@ALL
def test_it_ships_short_topic_labels_only(definition):
    for item in definition.items:
        assert len(item.label) <= 80, item.code
        assert not item.label.endswith("?"), item.code


@ALL
def test_it_accepts_the_minimal_answers_and_stamps_the_result(definition):
    result = definition.score(minimal_answers(definition))
    assert (result.instrument, result.version) == (definition.code, definition.version)
    json.dumps(result.to_dict())


@ALL
def test_it_rejects_bools_text_and_decimals_for_every_item(definition):
    for bad in BAD_TYPES:
        with pytest.raises(ScoringError) as info:
            definition.score(dict.fromkeys(definition.item_codes, bad))
        for item in definition.items:
            messages = info.value.errors[item.code]
            assert messages and all(m.startswith(item.code) for m in messages), (item.code, bad)


@ALL
def test_it_reports_every_missing_required_item(definition):
    with pytest.raises(ScoringError) as info:
        definition.score({})
    required = {i.code for i in definition.items if i.required}
    assert required <= set(info.value.errors)
    for code in required:
        assert info.value.errors[code] == [f"{code} is required."]


@ALL
def test_it_rejects_unknown_items(definition):
    answers = minimal_answers(definition) | {"item_99": 0}
    with pytest.raises(ScoringError) as info:
        definition.score(answers)
    assert list(info.value.errors) == ["item_99"]


@BANDED
def test_it_covers_every_total_with_exactly_one_band(definition):
    low, high = definition.total_range
    for total in range(int(low), int(high) + 1):
        assert sum(b.contains(total) for b in definition.bands) == 1, total
