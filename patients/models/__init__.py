"""Patient-record models, one module per part of the record."""

from patients.models.appointment import Appointment, AppointmentQuerySet
from patients.models.consent import Consent, ConsentQuerySet
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
    "Appointment",
    "AppointmentQuerySet",
    "CareTeamMember",
    "Consent",
    "ConsentQuerySet",
    "Coverage",
    "EmergencyContact",
    "Episode",
    "MrnSequence",
    "Patient",
    "PatientQuerySet",
    "StatusEvent",
]
