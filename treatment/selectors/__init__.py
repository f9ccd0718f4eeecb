"""Reads of treatment records that the API, the admin and dashboards share."""
