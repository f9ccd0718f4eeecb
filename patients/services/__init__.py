"""Writes to the patient record, one module per part; each service is one transaction."""
