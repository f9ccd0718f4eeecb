"""Behaviour of the DSM-5-TR use-disorder suggestion and its ICD-10-CM code table."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessments.diagnosis import (
    DATA_FILE,
    WITHDRAWAL_CHOICES,
    DiagnosisError,
    load_code_table,
    months_since_last_non_craving,
    severity_for_count,
    suggest_diagnosis,
)

SEVERITY_RANK = {"none": 0, "mild": 1, "moderate": 2, "severe": 3}


def criteria(n):
    """The first n criteria (craving included from n >= 4)."""
    return set(range(1, n + 1))


# Severity


@pytest.mark.parametrize(
    ("count", "severity"),
    [
        (0, "none"),
        (1, "none"),
        (2, "mild"),
        (3, "mild"),
        (4, "moderate"),
        (5, "moderate"),
        (6, "severe"),
        (11, "severe"),
    ],
)
def test_it_grades_severity_at_each_edge(count, severity):
    result = suggest_diagnosis(criteria(count))
    assert result.criteria_count == count
    assert result.severity == severity


def test_it_suggests_no_code_without_disorder_or_withdrawal():
    result = suggest_diagnosis({4})
    assert result.severity == "none"
    assert result.icd10_code is None
    assert result.display == "No substance use disorder (fewer than 2 criteria met) (kratom)"


# Every ICD-10-CM row


@pytest.mark.parametrize(
    ("count", "months", "withdrawal", "code"),
    [
        (2, None, "none", "F19.10"),
        (3, 3, "none", "F19.11"),
        (4, None, "none", "F19.20"),
        (6, None, "none", "F19.20"),
        (5, 12, "none", "F19.21"),
        (7, 3, "none", "F19.21"),
        (2, None, "uncomplicated", "F19.130"),
        (3, None, "delirium", "F19.131"),
        (3, None, "perceptual_disturbance", "F19.132"),
        (2, None, "unspecified", "F19.139"),
        (4, None, "uncomplicated", "F19.230"),
        (6, None, "delirium", "F19.231"),
        (5, None, "perceptual_disturbance", "F19.232"),
        (11, None, "unspecified", "F19.239"),
        (0, None, "uncomplicated", "F19.930"),
        (1, None, "delirium", "F19.931"),
        (1, None, "perceptual_disturbance", "F19.932"),
        (0, None, "unspecified", "F19.939"),
    ],
)
def test_it_suggests_each_icd10_code_row(count, months, withdrawal, code):
    result = suggest_diagnosis(criteria(count), months_since_last_met=months, withdrawal=withdrawal)
    assert result.icd10_code == code
    assert result.icd10_title == next(r.title for r in load_code_table().rows if r.code == code)


def test_it_reaches_every_row_of_the_code_table():
    reached = set()
    for count in range(12):
        for months in (None, 3, 12):
            for withdrawal in WITHDRAWAL_CHOICES:
                try:
                    result = suggest_diagnosis(
                        criteria(count), months_since_last_met=months, withdrawal=withdrawal
                    )
                except DiagnosisError:
                    continue
                reached.add(result.icd10_code)
    assert reached - {None} == load_code_table().codes


def test_it_keeps_the_reference_codes_in_the_table():
    reference = {
        "F19.10",
        "F19.11",
        "F19.20",
        "F19.21",
        "F19.130",
        "F19.230",
        "F19.231",
        "F19.232",
        "F19.239",
        "F19.930",
    }
    assert reference <= load_code_table().codes


def test_it_records_the_code_set_year_and_source():
    table = load_code_table()
    assert table.code_system == "ICD-10-CM"
    assert table.fiscal_year == 2025
    assert table.effective_from == "2024-10-01"
    assert table.effective_to == "2025-09-30"
    assert "CMS" in table.source
    assert suggest_diagnosis({1, 2}).code_set_year == table.fiscal_year


def test_it_reads_a_new_code_year_from_data_alone(tmp_path):
    raw = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    raw["fiscal_year"] = 2099
    raw["rows"][0]["code"] = "F19.10X"
    path = tmp_path / "icd.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    table = load_code_table(path)
    assert table.fiscal_year == 2099
    assert table.lookup("mild", False, "none").code == "F19.10X"


def test_it_rejects_a_code_table_with_duplicate_rows(tmp_path):
    raw = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    raw["rows"].append(dict(raw["rows"][0], code="F19.99X"))
    path = tmp_path / "icd.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(ValueError, match="duplicate"):
        load_code_table(path)


# Remission


@pytest.mark.parametrize(
    ("months", "remission"),
    [(None, "none"), (0, "none"), (2, "none"), (3, "early"), (11, "early"), (12, "sustained")],
)
def test_it_finds_remission_at_each_edge(months, remission):
    result = suggest_diagnosis(criteria(4), months_since_last_met=months)
    assert result.remission == remission
    assert result.icd10_code == ("F19.20" if remission == "none" else "F19.21")


def test_it_keeps_the_episode_severity_in_remission():
    result = suggest_diagnosis(criteria(7), months_since_last_met=12)
    assert result.severity == "severe"
    assert result.specifiers == ("in sustained remission",)
    assert result.display == (
        "Other (or unknown) substance use disorder, severe, in sustained remission (kratom)"
    )


def test_it_gives_no_remission_when_full_criteria_were_never_met():
    result = suggest_diagnosis({1}, months_since_last_met=24)
    assert result.severity == "none"
    assert result.remission == "none"
    assert result.icd10_code is None


def test_it_lets_craving_persist_in_remission():
    # Craving (4) met this month; every other criterion last met 5 or more months ago.
    months = months_since_last_non_craving({1: 5, 2: 7, 4: 0, 10: 14})
    assert months == 5
    result = suggest_diagnosis({1, 2, 4, 10}, months_since_last_met=months)
    assert result.remission == "early"
    assert result.icd10_code == "F19.21"


def test_it_ends_remission_when_a_non_craving_criterion_recurs():
    months = months_since_last_non_craving({1: 14, 4: 0, 10: 2})
    assert months == 2
    assert suggest_diagnosis({1, 4, 10}, months_since_last_met=months).remission == "none"


def test_it_returns_no_months_when_only_craving_was_recorded():
    assert months_since_last_non_craving({4: 0}) is None


@pytest.mark.parametrize("bad", [{0: 1}, {12: 1}, {1: -1}, {1: 2.5}, {True: 1}])
def test_it_rejects_bad_per_criterion_months(bad):
    with pytest.raises(DiagnosisError) as exc:
        months_since_last_non_craving(bad)
    assert set(exc.value.errors) == {"months_by_criterion"}


# Withdrawal


@pytest.mark.parametrize(
    ("count", "code", "display"),
    [
        (
            0,
            "F19.930",
            "Other (or unknown) substance withdrawal, uncomplicated, without use disorder (kratom)",
        ),
        (
            2,
            "F19.130",
            "Other (or unknown) substance withdrawal, uncomplicated, with mild use disorder "
            "(kratom)",
        ),
        (
            4,
            "F19.230",
            "Other (or unknown) substance withdrawal, uncomplicated, with moderate use disorder "
            "(kratom)",
        ),
        (
            6,
            "F19.230",
            "Other (or unknown) substance withdrawal, uncomplicated, with severe use disorder "
            "(kratom)",
        ),
    ],
)
def test_it_replaces_the_use_disorder_code_with_the_withdrawal_code(count, code, display):
    plain = suggest_diagnosis(criteria(count))
    result = suggest_diagnosis(criteria(count), withdrawal="uncomplicated")
    assert result.icd10_code == code
    assert result.icd10_code != plain.icd10_code
    assert result.display == display


def test_it_names_withdrawal_delirium_like_the_icd_title():
    result = suggest_diagnosis(criteria(6), withdrawal="delirium", substance="7-OH")
    assert result.display == (
        "Other (or unknown) substance withdrawal delirium, with severe use disorder (7-OH)"
    )


@pytest.mark.parametrize("months", [3, 12])
def test_it_rejects_withdrawal_with_remission(months):
    with pytest.raises(DiagnosisError) as exc:
        suggest_diagnosis(criteria(4), months_since_last_met=months, withdrawal="uncomplicated")
    assert set(exc.value.errors) == {"withdrawal"}


def test_it_accepts_withdrawal_two_months_after_the_last_criterion():
    result = suggest_diagnosis(criteria(4), months_since_last_met=2, withdrawal="uncomplicated")
    assert result.icd10_code == "F19.230"


# Specifiers and display


def test_it_names_the_substance_in_the_display():
    result = suggest_diagnosis(criteria(4))
    assert result.display == "Other (or unknown) substance use disorder, moderate (kratom)"
    assert result.specifiers == ()


def test_it_adds_text_specifiers_in_remission_without_changing_the_code():
    result = suggest_diagnosis(
        criteria(2), months_since_last_met=4, controlled_environment=True, on_maintenance=True
    )
    assert result.specifiers == (
        "in early remission",
        "in a controlled environment",
        "on maintenance therapy",
    )
    assert result.icd10_code == "F19.11"
    assert result.display == (
        "Other (or unknown) substance use disorder, mild, in early remission, "
        "in a controlled environment, on maintenance therapy (kratom)"
    )


def test_it_rejects_remission_specifiers_outside_remission():
    with pytest.raises(DiagnosisError) as exc:
        suggest_diagnosis(criteria(4), controlled_environment=True, on_maintenance=True)
    assert set(exc.value.errors) == {"controlled_environment", "on_maintenance"}


# Validation


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"criteria_met": {0}}, "criteria_met"),
        ({"criteria_met": {12}}, "criteria_met"),
        ({"criteria_met": {True, 2}}, "criteria_met"),
        ({"criteria_met": {"1"}}, "criteria_met"),
        ({"criteria_met": [1, 1]}, "criteria_met"),
        ({"criteria_met": "123"}, "criteria_met"),
        ({"criteria_met": 3}, "criteria_met"),
        ({"criteria_met": {1, 2}, "months_since_last_met": -1}, "months_since_last_met"),
        ({"criteria_met": {1, 2}, "months_since_last_met": 2.9}, "months_since_last_met"),
        ({"criteria_met": {1, 2}, "withdrawal": "severe"}, "withdrawal"),
        ({"criteria_met": {1, 2}, "substance": " "}, "substance"),
        ({"criteria_met": {1, 2}, "substance": "k" * 61}, "substance"),
    ],
)
def test_it_rejects_invalid_input_with_a_field_keyed_error(kwargs, field):
    criteria_met = kwargs.pop("criteria_met")
    with pytest.raises(DiagnosisError) as exc:
        suggest_diagnosis(criteria_met, **kwargs)
    assert set(exc.value.errors) == {field}
    assert all(isinstance(msg, str) and msg for msg in exc.value.errors[field])


def test_it_reports_every_invalid_field_at_once():
    with pytest.raises(DiagnosisError) as exc:
        suggest_diagnosis({13}, months_since_last_met=-2, withdrawal="x", substance="")
    assert set(exc.value.errors) == {
        "criteria_met",
        "months_since_last_met",
        "withdrawal",
        "substance",
    }


def test_it_rejects_a_negative_count():
    with pytest.raises(ValueError):
        severity_for_count(-1)


# Properties


@settings(max_examples=150, deadline=None)
@given(
    st.sets(st.integers(min_value=1, max_value=11)),
    st.sets(st.integers(min_value=1, max_value=11)),
)
def test_it_never_lowers_severity_when_criteria_are_added(first, extra):
    smaller = suggest_diagnosis(first)
    larger = suggest_diagnosis(first | extra)
    assert SEVERITY_RANK[smaller.severity] <= SEVERITY_RANK[larger.severity]


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=0, max_value=10))
def test_it_grades_severity_monotonically_in_the_count(count):
    assert SEVERITY_RANK[severity_for_count(count)] <= SEVERITY_RANK[severity_for_count(count + 1)]


@settings(max_examples=150, deadline=None)
@given(
    st.sets(st.integers(min_value=1, max_value=11)),
    st.one_of(st.none(), st.integers(min_value=0, max_value=240)),
    st.sampled_from(WITHDRAWAL_CHOICES),
)
def test_it_only_suggests_codes_that_exist_in_the_table(criteria_met, months, withdrawal):
    try:
        result = suggest_diagnosis(
            criteria_met, months_since_last_met=months, withdrawal=withdrawal
        )
    except DiagnosisError as exc:
        # The only refusal for valid values: withdrawal together with remission.
        assert set(exc.errors) == {"withdrawal"}
        assert len(criteria_met) >= 2 and months is not None and months >= 3
        return
    if result.severity == "none" and withdrawal == "none":
        assert result.icd10_code is None
    else:
        assert result.icd10_code in load_code_table().codes
