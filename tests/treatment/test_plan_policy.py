"""Plan policy: the status table, review cadence per level of care, frequency wording, and the
settings that carry the clinic's numbers."""

import datetime as dt

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from assessments import asam
from assessments.recommendations import INTERVENTION_TYPES
from treatment import plan_policy as policy
from treatment.models import INTERVENTION_TYPE_CHOICES, TreatmentPlan

TODAY = dt.date(2026, 3, 10)


def test_every_plan_status_has_a_row_in_the_transition_table():
    assert set(policy.TRANSITIONS) == set(TreatmentPlan.Status.values)
    for targets in policy.TRANSITIONS.values():
        assert set(targets) <= set(TreatmentPlan.Status.values)


def test_a_draft_is_activated_only_by_signing():
    assert policy.is_legal_move("draft", "active")
    assert policy.manual_transitions("draft") == ["discontinued"]


@pytest.mark.parametrize("status", ["completed", "discontinued"])
def test_closed_plans_go_nowhere(status):
    assert policy.manual_transitions(status) == []


def test_a_plan_under_review_may_return_to_active():
    assert policy.manual_transitions("under_review") == ["active", "completed", "discontinued"]


@pytest.mark.parametrize(
    ("count", "period", "weeks", "text"),
    [
        (1, "week", 12, "weekly for 12 weeks"),
        (1, "week", 4, "weekly for 4 weeks"),
        (1, "day", 1, "daily for 1 week"),
        (2, "week", 8, "twice a week for 8 weeks"),
        (3, "week", 12, "3 times a week for 12 weeks"),
        (1, "month", 4, "monthly for 4 weeks"),
    ],
)
def test_frequency_reads_like_a_plan(count, period, weeks, text):
    assert policy.frequency_display(count, period, weeks) == text


def test_cadence_uses_the_level_then_the_default():
    cadence = {"default": 30, "1": 90}
    assert policy.review_interval_days("1", cadence) == 90
    assert policy.review_interval_days("3.3", cadence) == 30
    assert policy.next_review_due(TODAY, "1", cadence) == TODAY + dt.timedelta(days=90)
    with pytest.raises(KeyError):
        policy.review_interval_days("1", {"2.1": 30})


@pytest.mark.parametrize(
    ("due", "status", "overdue"),
    [
        (TODAY - dt.timedelta(days=1), "active", True),
        (TODAY - dt.timedelta(days=1), "under_review", True),
        (TODAY, "active", False),
        (TODAY - dt.timedelta(days=1), "draft", False),
        (TODAY - dt.timedelta(days=1), "completed", False),
        (None, "active", False),
    ],
)
def test_a_review_is_overdue_only_after_its_day_and_only_in_force(due, status, overdue):
    assert policy.is_review_overdue(due, status, TODAY) is overdue


def test_default_cadence_names_only_real_levels_and_follows_the_reference():
    known = {lv.code for ed in asam.EDITIONS for lv in asam.levels(ed)}
    table = settings.TREATMENT_PLAN_REVIEW_DAYS
    assert set(table) - {"default"} <= known
    assert table["1"] == 90  # Kansas: outpatient plans updated at least every 90 days
    assert table["2.1"] <= 30 and table["3.1"] <= 7


def test_every_intervention_type_has_a_default_frequency_and_a_label():
    defaults = settings.TREATMENT_PLAN_INTERVENTION_DEFAULTS
    assert set(defaults) == set(INTERVENTION_TYPES)
    assert [t for t, _label in INTERVENTION_TYPE_CHOICES] == list(INTERVENTION_TYPES)
    assert defaults["cbt"] == {"count": 1, "period": "week", "weeks": 12}  # Project MATCH
    assert defaults["met"] == {"count": 1, "period": "week", "weeks": 4}


def test_cadence_and_frequencies_can_be_overridden_from_the_environment():
    from clinic import settings as clinic_settings

    days = clinic_settings._policy_map(
        "TREATMENT_PLAN_REVIEW_DAYS",
        "1=45, 2.1=14",
        {"default": 30, "1": 90},
        clinic_settings._positive_days,
    )
    assert days == {"default": 30, "1": 45, "2.1": 14}
    freq = clinic_settings._policy_map(
        "TREATMENT_PLAN_INTERVENTION_DEFAULTS",
        "cbt=2/week/8",
        {},
        clinic_settings._intervention_default,
    )
    assert freq == {"cbt": {"count": 2, "period": "week", "weeks": 8}}


@pytest.mark.parametrize("raw", ["1=0", "1=abc", "=30", "1", "1=400"])
def test_a_bad_cadence_entry_stops_start_up(raw):
    from clinic import settings as clinic_settings

    with pytest.raises(ImproperlyConfigured, match="TREATMENT_PLAN_REVIEW_DAYS"):
        clinic_settings._policy_map(
            "TREATMENT_PLAN_REVIEW_DAYS", raw, {}, clinic_settings._positive_days
        )


@pytest.mark.parametrize("raw", ["cbt=1/fortnight/4", "cbt=0/week/4", "cbt=1/week", "cbt=1/week/0"])
def test_a_bad_frequency_entry_stops_start_up(raw):
    from clinic import settings as clinic_settings

    with pytest.raises(ImproperlyConfigured, match="TREATMENT_PLAN_INTERVENTION_DEFAULTS"):
        clinic_settings._policy_map(
            "TREATMENT_PLAN_INTERVENTION_DEFAULTS", raw, {}, clinic_settings._intervention_default
        )
