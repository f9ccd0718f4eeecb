"""Patient-record models, one module per part of the record."""

from patients.models.patient import MrnSequence, Patient, PatientQuerySet

__all__ = ["MrnSequence", "Patient", "PatientQuerySet"]
