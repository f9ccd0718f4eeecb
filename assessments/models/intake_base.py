"""Shared bases for the intake records (substance history, diagnosis, level of care)."""

from django.db import models

from clinic.models import ProtectedDeletion


class RowQuerySet(models.QuerySet):
    def delete(self):
        raise ProtectedDeletion("Clinical records are kept, never deleted.")


class ProtectedRow(models.Model):
    """A child row of a clinical record: kept with its parent, never deleted on its own."""

    objects = RowQuerySet.as_manager()

    class Meta:
        abstract = True

    def delete(self, *args, **kwargs):
        raise ProtectedDeletion(f"{type(self).__name__} rows are kept, never deleted.")
