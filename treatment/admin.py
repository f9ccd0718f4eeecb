"""Treatment admin, one module per part of the work."""

from treatment import admin_plans, admin_sessions  # noqa: F401
