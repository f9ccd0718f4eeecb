"""Admin registrations for the assessments app, one module per part of the intake."""

from assessments import admin_assessments, admin_intake  # noqa: F401
