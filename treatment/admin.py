"""Treatment admin: each part of the work registers its own admin module."""

from treatment import admin_plans  # noqa: F401
