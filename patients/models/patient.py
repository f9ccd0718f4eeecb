"""Who the patient is. The full record grows in the patient-records work; this is its spine."""

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from clinic import access
from clinic.models import ArchivableModel, ArchivableQuerySet, Site, TimeStampedModel, UUIDModel


class PatientQuerySet(ArchivableQuerySet):
    def visible_to(self, user, *, token=None):
        """Patients at the sites this user (or token) may see."""
        return access.scope_queryset(self, user, "site", token=token)


class MrnSequence(models.Model):
    """Per-site MRN counter, locked with SELECT ... FOR UPDATE so allocation never races."""

    site = models.OneToOneField(Site, on_delete=models.PROTECT, related_name="mrn_sequence")
    last_value = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.site.code}: {self.last_value}"


class Patient(UUIDModel, TimeStampedModel, ArchivableModel):
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="patients")
    mrn = models.CharField(
        "MRN", max_length=20, unique=True, editable=False, help_text="Assigned on registration."
    )
    first_name = models.CharField("legal first name", max_length=100)
    middle_name = models.CharField("legal middle name", max_length=100, blank=True)
    last_name = models.CharField("legal last name", max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )

    objects = PatientQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["last_name", "first_name", "mrn"]
        indexes = [
            models.Index(fields=["site", "last_name", "first_name"]),
            models.Index(fields=["date_of_birth"]),
        ]

    def __str__(self) -> str:
        return f"{self.mrn} {self.last_name}, {self.first_name}"
