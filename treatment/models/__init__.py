"""Treatment models, one module per part (the lead merges this file across branches)."""

from treatment.models.sessions import (
    CounsellingNote,
    CounsellingNoteAddendum,
    GroupAddendum,
    GroupAttendance,
    GroupSession,
    IndividualSession,
    Modality,
    NoteLocked,
    SessionAddendum,
)

__all__ = [
    "CounsellingNote",
    "CounsellingNoteAddendum",
    "GroupAddendum",
    "GroupAttendance",
    "GroupSession",
    "IndividualSession",
    "Modality",
    "NoteLocked",
    "SessionAddendum",
]
