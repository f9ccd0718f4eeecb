"""Patient-record models, one module per part of the record."""

from patients.models.patient import (
    CareTeamMember,
    Coverage,
    EmergencyContact,
    Episode,
    MrnSequence,
    Patient,
    PatientQuerySet,
    StatusEvent,
)

__all__ = [
    "CareTeamMember",
    "Coverage",
    "EmergencyContact",
    "Episode",
    "MrnSequence",
    "Patient",
    "PatientQuerySet",
    "StatusEvent",
]
