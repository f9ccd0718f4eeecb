"""Pure rules for session notes: no Django models, no database.

Which fields each note format needs, who may sign which kind of note, and how a CBT or MET session
is numbered in its planned course. Services call these; tests can call them without a database.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from clinic.access import Role

# Session types counted in a planned course ("5 of 12"): reference section 6 session norms.
COURSE_TYPES = frozenset({"cbt", "met"})
# Counselling session types: only a clinician may sign their notes (medical staff may not).
COUNSELLING_TYPES = frozenset({"cbt", "met", "individual_counseling"})

NOTE_FIELDS = ("data", "subjective", "objective", "assessment", "plan")
FORMAT_FIELDS: Mapping[str, tuple[str, ...]] = {
    "dap": ("data", "assessment", "plan"),
    "soap": ("subjective", "objective", "assessment", "plan"),
}
FORMAT_LABELS = {"dap": "DAP", "soap": "SOAP"}


def note_format_errors(
    note_format: str, values: Mapping[str, str], *, require: bool
) -> dict[str, list[str]]:
    """Field errors of a structured note: text in another format's field is refused always; the
    format's own fields are required when `require` (at signing: a draft may be unfinished)."""
    own = FORMAT_FIELDS.get(note_format)
    if own is None:
        return {"note_format": ["Choose dap or soap."]}
    label = FORMAT_LABELS[note_format]
    errors: dict[str, list[str]] = {}
    for name in NOTE_FIELDS:
        text = (values.get(name) or "").strip()
        if name not in own and text:
            errors[name] = [f"This field is not part of a {label} note; leave it empty."]
        elif name in own and require and not text:
            errors[name] = [f"A {label} note needs this field before it is signed."]
    return errors


def sign_refusal(*, session_type: str, roles: Collection[str], is_author: bool) -> str | None:
    """Why this user may not sign this note, or None when they may.

    Notes are signed by their author. Counselling notes need a clinician's signature: a clinician
    may sign one drafted by someone else, and medical staff may not sign one even as its author.
    """
    counselling = session_type in COUNSELLING_TYPES
    clinician = Role.CLINICIAN in roles
    if counselling and not clinician:
        return "Only a clinician may sign a counselling note."
    if not is_author and not (counselling and clinician):
        return "Only the author may sign this note."
    return None


def next_course_number(used: Collection[int]) -> int:
    """The number a new session takes when none is given: one after the highest recorded."""
    return max(used, default=0) + 1


def course_errors(
    *,
    session_type: str,
    number: int | None,
    planned: int | None,
    used: Collection[int],
) -> dict[str, list[str]]:
    """Course numbering: CBT and MET sessions carry "n of planned"; other types carry neither.

    `used` are the numbers already recorded in the same patient's course (this session excluded).
    """
    errors: dict[str, list[str]] = {}
    if session_type not in COURSE_TYPES:
        for name, value in (
            ("course_session_number", number),
            ("course_planned_sessions", planned),
        ):
            if value is not None:
                errors[name] = ["Only CBT and MET sessions are numbered in a course."]
        return errors
    if planned is None or planned < 1:
        errors["course_planned_sessions"] = ["The planned number of sessions must be at least 1."]
    if number is None or number < 1:
        errors["course_session_number"] = ["The session number must be at least 1."]
    elif planned is not None and planned >= 1 and number > planned:
        errors["course_session_number"] = [
            f"Session {number} is beyond the {planned} planned; raise the planned number first."
        ]
    elif number in used:
        errors["course_session_number"] = [
            f"Session {number} of this patient's {session_type.upper()} course is already recorded."
        ]
    return errors
