"""Writes to treatment records, one module per part; each service is one transaction."""
