"""Patient-record models, one module per part of the record."""

from patients.models.consent import Consent, ConsentQuerySet
from patients.models.patient import MrnSequence, Patient, PatientQuerySet

__all__ = ["Consent", "ConsentQuerySet", "MrnSequence", "Patient", "PatientQuerySet"]
