"""Trigram search on PostgreSQL: pg_trgm, and a GIN index on the normalised name.

These make name search typo-tolerant and keep it fast at a million patients. SQLite skips them.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

from clinic.migration_ops import PostgresOnlyRunSQL


class Migration(migrations.Migration):
    dependencies = [("patients", "0002_patient_record")]

    operations = [
        TrigramExtension(),
        PostgresOnlyRunSQL(
            "CREATE INDEX IF NOT EXISTS patient_search_name_trgm "
            "ON patients_patient USING gin (search_name gin_trgm_ops);",
            "DROP INDEX IF EXISTS patient_search_name_trgm;",
        ),
    ]
