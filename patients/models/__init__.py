"""Patient-record models, one module per part of the record."""

from patients.models.appointment import Appointment, AppointmentQuerySet
from patients.models.patient import MrnSequence, Patient, PatientQuerySet

__all__ = ["Appointment", "AppointmentQuerySet", "MrnSequence", "Patient", "PatientQuerySet"]
