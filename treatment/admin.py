"""Treatment admin, one module per part (the lead merges this file across branches)."""

from treatment import admin_sessions  # noqa: F401
