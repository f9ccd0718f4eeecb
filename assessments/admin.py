from assessments import admin_intake  # noqa: F401
