"""Behaviour of the shared instrument machinery, using small made-up instruments."""

import json

import pytest

from assessments.instruments.base import (
    KIND_INTEGER,
    NON_FIELD_ERRORS,
    Band,
    Choice,
    Flag,
    InstrumentDefinition,
    Item,
    Result,
    ScoringError,
    Subscale,
    apply_display_text,
    choices,
    load_display_text,
)

SECRET = "Jane Doe 1970-01-01"
YES_NO = (Choice(0, "No"), Choice(1, "Yes"))


def toy_scorer(answers, *, context=None):
    total = answers.get("a", 0) + answers.get("b", 0)
    return Result(total, notes=[f"context={dict(context)}"])


def toy(**overrides):
    fields = {
        "code": "toy",
        "version": "2.1",
        "title": "Toy",
        "description": "Toy instrument.",
        "items": (
            Item("a", "First", YES_NO),
            Item("b", "Second", choices("Low", "Mid", "High")),
            Item("c", "Optional", YES_NO, required=False, scored=False),
        ),
        "bands": (Band(0, 1, "Low", "low"), Band(2, 3, "High", "high")),
        "total_range": (0, 3),
        "loinc_panel": "",
        "loinc_total": "",
        "licence": "Test.",
        "allows_partial": False,
        "scorer": toy_scorer,
        "flags": (Flag("f", "A flag."),),
        "subscales": (Subscale("ab", "A and B", ("a", "b")),),
    }
    fields.update(overrides)
    return InstrumentDefinition(**fields)


def errors_of(definition, answers, **kwargs):
    with pytest.raises(ScoringError) as info:
        definition.score(answers, **kwargs)
    return info.value.errors


def test_it_scores_valid_answers_and_stamps_code_and_version():
    result = toy().score({"a": 1, "b": 2})
    assert result.total == 3
    assert (result.instrument, result.version) == ("toy", "2.1")


def test_it_collects_every_problem_in_one_error():
    errors = errors_of(toy(), {"a": 5, "zzz": 1})
    assert set(errors) == {"a", "b", "zzz"}
    assert errors["b"] == ["b is required."]


@pytest.mark.parametrize("bad", [True, False, "1", 1.0, 0.5, [1], {"v": 1}, -1, 2])
def test_it_rejects_values_outside_the_enumerated_integers(bad):
    errors = errors_of(toy(), {"a": bad, "b": 0})
    assert errors == {"a": ["a must be one of the whole numbers 0, 1."]}


def test_it_names_the_item_and_allowed_values_but_never_echoes_the_answer():
    with pytest.raises(ScoringError) as info:
        toy().score({"a": SECRET, "b": 0})
    assert "a must be one of the whole numbers 0, 1." in info.value.errors["a"]
    assert SECRET not in str(info.value)
    assert SECRET not in json.dumps(info.value.errors)


def test_it_reports_free_text_keys_without_repeating_them():
    errors = errors_of(toy(), {"a": 0, "b": 0, SECRET: 1})
    assert SECRET not in json.dumps(errors)
    assert "not an item of toy" in errors[NON_FIELD_ERRORS][0]


def test_it_keys_unknown_code_like_items_by_their_code():
    errors = errors_of(toy(), {"a": 0, "b": 0, "d": 1})
    assert errors == {"d": ["d is not an item of toy; allowed items: a, b, c."]}


def test_it_rejects_answers_that_are_not_an_object():
    assert NON_FIELD_ERRORS in errors_of(toy(), [("a", 1)])


def test_it_treats_null_as_unanswered():
    assert toy().score({"a": 1, "b": 1, "c": None}).total == 2
    assert errors_of(toy(), {"a": None, "b": 1}) == {"a": ["a is required."]}


def test_it_lets_partial_instruments_skip_required_items():
    assert toy(allows_partial=True).score({"a": 1}).total == 1


def test_it_accepts_integer_items_within_bounds_only():
    item = Item("bpm", "Pulse", kind=KIND_INTEGER, min_value=20, max_value=250)
    assert item.check(20) is None and item.check(250) is None
    for bad in (19, 251, 80.0, True, "80"):
        assert item.check(bad) == "bpm must be a whole number from 20 to 250."


def test_it_accepts_text_choices_by_exact_value():
    item = Item("scale", "Scale", (Choice("0-10", "0 to 10"), Choice("1-10", "1 to 10")))
    assert item.check("1-10") is None
    assert item.check(1) == "scale must be one of the text values '0-10', '1-10'."


@pytest.mark.parametrize(
    "kwargs",
    [
        {"choices": ()},
        {"choices": (Choice(0, "a"), Choice(0, "b"))},
        {"choices": (Choice(0, "a"), Choice("1", "b"))},
        {"choices": (Choice(True, "a"),)},
        {"kind": KIND_INTEGER, "min_value": 1},
        {"kind": KIND_INTEGER, "min_value": 5, "max_value": 1},
        {"kind": "slider", "min_value": 0, "max_value": 10},
        {"code": "has space", "choices": YES_NO},
    ],
)
def test_it_refuses_malformed_items(kwargs):
    fields = {"code": "x", "label": "X"} | kwargs
    with pytest.raises(ValueError):
        Item(**fields)


@pytest.mark.parametrize(
    "overrides",
    [
        {"bands": (Band(0, 2, "Low", "low"), Band(2, 3, "High", "high"))},
        {"bands": (Band(0, 1, "Low", "x"), Band(2, 3, "High", "x"))},
        {"items": (Item("a", "A", YES_NO), Item("a", "Again", YES_NO))},
        {"subscales": (Subscale("s", "S", ("nope",)),)},
        {"flags": (Flag("f", "One."), Flag("f", "Two."))},
    ],
)
def test_it_refuses_malformed_definitions(overrides):
    with pytest.raises(ValueError):
        toy(**overrides)


def test_it_validates_context_and_ignores_keys_it_does_not_use():
    definition = toy(context_choices=(("sex", ("male", "female", None)),))
    result = definition.score({"a": 0, "b": 0}, context={"sex": "female", "age": 40})
    assert result.notes == ["context={'sex': 'female'}"]
    assert definition.score({"a": 0, "b": 0}).notes == ["context={'sex': None}"]
    errors = errors_of(definition, {"a": 0, "b": 0}, context={"sex": SECRET})
    assert errors == {NON_FIELD_ERRORS: ["Context sex must be one of 'male', 'female', null."]}
    assert NON_FIELD_ERRORS in errors_of(definition, {"a": 0, "b": 0}, context=["male"])


def test_it_publishes_a_json_serialisable_definition():
    published = json.loads(json.dumps(toy().to_dict()))
    assert published["code"] == "toy" and published["version"] == "2.1"
    assert published["total_range"] == [0, 3]
    assert [i["code"] for i in published["items"]] == ["a", "b", "c"]
    assert published["items"][1]["choices"][2] == {
        "value": 2,
        "label": "High",
        "display_text": "High",
    }
    assert published["items"][2]["required"] is False
    assert published["bands"][1] == {"low": 2, "high": 3, "label": "High", "code": "high"}
    assert published["flags"] == [{"code": "f", "text": "A flag."}]
    assert published["subscales"] == [
        {"code": "ab", "label": "A and B", "items": ["a", "b"], "range": [0, 3]}
    ]
    assert set(published) >= {"loinc_panel", "loinc_total", "licence", "allows_partial", "context"}


def test_it_serialises_results_as_independent_copies():
    result = Result(3, "high", "High", {"s": 1}, [{"code": "f", "text": "t"}], ["n"], {"a": 1})
    data = result.to_dict()
    assert data == {
        "instrument": "",
        "version": "",
        "total": 3,
        "band": "high",
        "band_label": "High",
        "subscales": {"s": 1},
        "flags": [{"code": "f", "text": "t"}],
        "notes": ["n"],
        "item_scores": {"a": 1},
        "details": {},
    }
    data["flags"][0]["code"] = "changed"
    assert result.flags[0]["code"] == "f"


def test_it_overlays_licensed_wording_without_touching_our_labels():
    published = toy().to_dict()
    shown = apply_display_text(published, {"a": "Official A?", "b:2": "Official high"})
    assert shown["items"][0]["display_text"] == "Official A?"
    assert shown["items"][0]["label"] == "First"
    assert shown["items"][1]["choices"][2]["display_text"] == "Official high"
    assert published["items"][0]["display_text"] == "First"


@pytest.mark.parametrize("overrides", [{"zz": "x"}, {"b:9": "x"}, {"a": 3}])
def test_it_refuses_wording_for_unknown_items_or_answers(overrides):
    with pytest.raises(ValueError):
        apply_display_text(toy().to_dict(), overrides)


def test_it_loads_a_clinic_wording_file(tmp_path):
    path = tmp_path / "wording.json"
    path.write_text(json.dumps({"toy": {"a": "Official A?"}}), encoding="utf-8")
    assert load_display_text(path) == {"toy": {"a": "Official A?"}}


@pytest.mark.parametrize("content", [[], {"toy": "text"}, {"toy": {"a": 1}}])
def test_it_refuses_malformed_wording_files(tmp_path, content):
    path = tmp_path / "wording.json"
    path.write_text(json.dumps(content), encoding="utf-8")
    with pytest.raises(ValueError):
        load_display_text(path)
