"""Writes to treatment records, one module per part."""
