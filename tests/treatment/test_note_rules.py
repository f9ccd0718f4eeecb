"""The pure note rules: formats, who signs what, course numbering. No database."""

import pytest

from clinic.access import Role
from treatment import note_rules


def test_a_dap_draft_may_be_unfinished_but_not_hold_soap_fields():
    errors = note_rules.note_format_errors(
        "dap", {"data": "seen", "subjective": "felt fine"}, require=False
    )
    assert errors == {"subjective": ["This field is not part of a DAP note; leave it empty."]}


def test_signing_needs_every_field_of_the_format():
    errors = note_rules.note_format_errors("soap", {"subjective": "s", "plan": "p"}, require=True)
    assert set(errors) == {"objective", "assessment"}
    assert (
        note_rules.note_format_errors(
            "dap", {"data": "d", "assessment": "a", "plan": "p"}, require=True
        )
        == {}
    )


def test_whitespace_is_not_content():
    errors = note_rules.note_format_errors(
        "dap", {"data": "  ", "assessment": "a", "plan": "p"}, require=True
    )
    assert set(errors) == {"data"}


@pytest.mark.parametrize(
    ("session_type", "roles", "is_author", "allowed"),
    [
        ("medical_visit", {Role.MEDICAL_STAFF}, True, True),
        ("medical_visit", {Role.MEDICAL_STAFF}, False, False),
        ("medical_visit", {Role.CLINICIAN}, False, False),
        ("cbt", {Role.MEDICAL_STAFF}, True, False),
        ("met", {Role.MEDICAL_STAFF}, True, False),
        ("individual_counseling", {Role.MEDICAL_STAFF}, True, False),
        ("cbt", {Role.CLINICIAN}, True, True),
        ("cbt", {Role.CLINICIAN}, False, True),
        ("peer_support", {Role.CLINICIAN}, False, False),
        ("case_management", {Role.MEDICAL_STAFF}, True, True),
        ("individual_counseling", {Role.CLINICIAN, Role.MEDICAL_STAFF}, True, True),
    ],
)
def test_who_may_sign(session_type, roles, is_author, allowed):
    refusal = note_rules.sign_refusal(session_type=session_type, roles=roles, is_author=is_author)
    assert (refusal is None) is allowed


def test_next_course_number_follows_the_highest_recorded():
    assert note_rules.next_course_number(set()) == 1
    assert note_rules.next_course_number({1, 2, 5}) == 6


@pytest.mark.parametrize(
    ("number", "planned", "used", "field"),
    [
        (0, 12, set(), "course_session_number"),
        (13, 12, set(), "course_session_number"),
        (3, 12, {3}, "course_session_number"),
        (1, 0, set(), "course_planned_sessions"),
        (None, 12, set(), "course_session_number"),
    ],
)
def test_course_numbering_errors(number, planned, used, field):
    errors = note_rules.course_errors(session_type="cbt", number=number, planned=planned, used=used)
    assert field in errors


def test_a_valid_course_number_has_no_errors():
    assert note_rules.course_errors(session_type="met", number=4, planned=4, used={1, 2, 3}) == {}


def test_other_sessions_carry_no_course_numbers():
    errors = note_rules.course_errors(
        session_type="medical_visit", number=1, planned=None, used=set()
    )
    assert errors == {
        "course_session_number": ["Only CBT and MET sessions are numbered in a course."]
    }
