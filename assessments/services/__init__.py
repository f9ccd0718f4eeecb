"""Writes to assessment records, one module per part; each service is one transaction."""
