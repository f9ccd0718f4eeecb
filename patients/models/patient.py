"""Who the patient is: identity, contact, referral, status, episode and care team."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from simple_history.models import HistoricalRecords

from clinic import access
from clinic.models import ArchivableModel, ArchivableQuerySet, Site, TimeStampedModel, UUIDModel
from patients.choices import US_STATES

zip_validator = RegexValidator(r"^\d{5}(-\d{4})?$", "Use a ZIP code (12345) or ZIP+4 (12345-6789).")


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
    class SexAtBirth(models.TextChoices):
        FEMALE = "female", "Female"
        MALE = "male", "Male"
        INTERSEX = "intersex", "Intersex"
        UNKNOWN = "unknown", "Unknown"
        DECLINED = "declined", "Declined to answer"

    class GenderIdentity(models.TextChoices):
        WOMAN = "woman", "Woman"
        MAN = "man", "Man"
        NONBINARY = "nonbinary", "Non-binary"
        TRANS_WOMAN = "transgender_woman", "Transgender woman"
        TRANS_MAN = "transgender_man", "Transgender man"
        OTHER = "other", "Another identity"
        UNKNOWN = "unknown", "Unknown"
        DECLINED = "declined", "Declined to answer"

    class ContactMethod(models.TextChoices):
        PHONE = "phone", "Phone call"
        TEXT = "text", "Text message"
        EMAIL = "email", "Email"
        MAIL = "mail", "Postal mail"

    class ReferralSource(models.TextChoices):
        SELF = "self", "Self"
        PHYSICIAN = "physician", "Physician"
        HOSPITAL = "hospital_ed", "Hospital / emergency department"
        COURT = "court_probation", "Court / probation"
        EMPLOYER = "employer", "Employer"
        FAMILY = "family", "Family or friend"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        REFERRAL = "referral", "Referral"
        INTAKE_SCHEDULED = "intake_scheduled", "Intake scheduled"
        INTAKE_IN_PROGRESS = "intake_in_progress", "Intake in progress"
        ACTIVE = "active", "Active in treatment"
        DISCHARGED = "discharged", "Discharged"
        READMITTED = "readmitted", "Readmitted"

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="patients")
    mrn = models.CharField(
        "MRN", max_length=20, unique=True, editable=False, help_text="Assigned on registration."
    )
    # Identity
    first_name = models.CharField("legal first name", max_length=100)
    middle_name = models.CharField("legal middle name", max_length=100, blank=True)
    last_name = models.CharField("legal last name", max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField()
    sex_at_birth = models.CharField(
        "sex assigned at birth", max_length=10, choices=SexAtBirth.choices, default="unknown"
    )
    gender_identity = models.CharField(
        max_length=20, choices=GenderIdentity.choices, blank=True, default=""
    )
    pronouns = models.CharField(max_length=30, blank=True, help_text="For example she/her.")
    preferred_language = models.CharField(
        max_length=35,
        default="en",
        help_text="BCP 47 language tag, for example en, es, vi.",
        validators=[
            RegexValidator(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", "Use a tag like en or es-MX.")
        ],
    )
    interpreter_needed = models.BooleanField(default=False)
    # Contact
    phone_mobile = models.CharField(max_length=20, blank=True, help_text="Stored in E.164.")
    phone_home = models.CharField(max_length=20, blank=True, help_text="Stored in E.164.")
    email = models.EmailField(blank=True)
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, choices=US_STATES, blank=True)
    postal_code = models.CharField(
        "ZIP code", max_length=10, blank=True, validators=[zip_validator]
    )
    preferred_contact_method = models.CharField(
        max_length=10, choices=ContactMethod.choices, default=ContactMethod.PHONE
    )
    consent_to_text = models.BooleanField(default=False)
    consent_to_voicemail = models.BooleanField(default=False)
    # Referral
    referral_source = models.CharField(
        max_length=20, choices=ReferralSource.choices, default=ReferralSource.SELF
    )
    referral_notes = models.TextField(blank=True)
    # Status and care team
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.REFERRAL, editable=False
    )
    primary_clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="primary_patients",
    )
    # Search and duplicates: normalised (lower-case, unaccented, no punctuation) name, kept by the
    # registration and update services; indexed with trigrams on PostgreSQL.
    search_name = models.CharField(max_length=420, editable=False, default="", db_index=False)
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_records",
        editable=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )

    objects = PatientQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at", "search_name"])

    class Meta:
        ordering = ["last_name", "first_name", "mrn"]
        indexes = [
            models.Index(fields=["site", "last_name", "first_name"]),
            models.Index(fields=["date_of_birth"]),
            models.Index(fields=["phone_mobile"]),
            models.Index(fields=["phone_home"]),
            models.Index(fields=["email"]),
            models.Index(fields=["site", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.mrn} {self.last_name}, {self.first_name}"

    @property
    def display_name(self) -> str:
        first = self.preferred_name or self.first_name
        return f"{first} {self.last_name}"

    def clean(self) -> None:
        from patients.validation import validate_date_of_birth

        validate_date_of_birth(self.date_of_birth)


class Episode(TimeStampedModel):
    """One stretch of care, from referral to discharge. Readmission opens a new episode."""

    class DischargeReason(models.TextChoices):
        COMPLETED = "completed", "Completed treatment"
        AGAINST_ADVICE = "against_advice", "Left against advice"
        TRANSFERRED = "transferred", "Transferred"
        ADMINISTRATIVE = "administrative", "Administrative discharge"
        LOST = "lost_to_follow_up", "Lost to follow-up"
        DECLINED = "declined_services", "Declined services"
        OTHER = "other", "Other"

    id = models.BigAutoField(primary_key=True)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="episodes")
    number = models.PositiveSmallIntegerField()
    started_on = models.DateField()
    discharged_on = models.DateField(null=True, blank=True)
    discharge_reason = models.CharField(max_length=20, choices=DischargeReason.choices, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["patient", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "number"],
                name="episode_number_unique",
                violation_error_message="This patient already has an episode with that number.",
            ),
            models.CheckConstraint(
                condition=models.Q(discharged_on__isnull=True)
                | models.Q(discharged_on__gte=models.F("started_on")),
                name="episode_discharge_after_start",
                violation_error_message="Discharge cannot be before the episode started.",
            ),
        ]

    def __str__(self) -> str:
        return f"Episode {self.number}"


class StatusEvent(models.Model):
    """Each status transition, as an event record: who moved the patient where, when and why."""

    id = models.BigAutoField(primary_key=True)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="status_events")
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="status_events")
    from_status = models.CharField(max_length=20, choices=Patient.Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Patient.Status.choices)
    effective_on = models.DateField()
    reason = models.CharField(max_length=30, blank=True)
    note = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["patient", "recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} -> {self.to_status}"


class EmergencyContact(UUIDModel, TimeStampedModel, ArchivableModel):
    class Relationship(models.TextChoices):
        SPOUSE = "spouse", "Spouse or partner"
        PARENT = "parent", "Parent"
        CHILD = "child", "Child"
        SIBLING = "sibling", "Sibling"
        FRIEND = "friend", "Friend"
        GUARDIAN = "guardian", "Legal guardian"
        SPONSOR = "sponsor", "Sponsor / peer"
        OTHER = "other", "Other"

    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="emergency_contacts"
    )
    name = models.CharField(max_length=200)
    relationship = models.CharField(max_length=10, choices=Relationship.choices)
    phone = models.CharField(max_length=20, help_text="Stored in E.164.")
    is_primary = models.BooleanField(default=False)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    objects = ArchivableQuerySet.as_manager()

    class Meta:
        ordering = ["-is_primary", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_relationship_display()})"


class Coverage(UUIDModel, TimeStampedModel, ArchivableModel):
    """Insurance coverage. Primaries may not overlap in time (checked by the coverage service)."""

    class Priority(models.TextChoices):
        PRIMARY = "primary", "Primary"
        SECONDARY = "secondary", "Secondary"
        TERTIARY = "tertiary", "Tertiary"

    class SubscriberRelationship(models.TextChoices):
        SELF = "self", "Self"
        SPOUSE = "spouse", "Spouse"
        CHILD = "child", "Child"
        OTHER = "other", "Other"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="coverages")
    payer_name = models.CharField(max_length=120)
    plan_name = models.CharField(max_length=120, blank=True)
    member_id = models.CharField(max_length=40)
    group_number = models.CharField(max_length=40, blank=True)
    subscriber_name = models.CharField(max_length=200, blank=True)
    subscriber_relationship = models.CharField(
        max_length=10, choices=SubscriberRelationship.choices, default=SubscriberRelationship.SELF
    )
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.PRIMARY)
    effective_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    objects = ArchivableQuerySet.as_manager()

    class Meta:
        ordering = ["priority", "-effective_date"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(end_date__gte=models.F("effective_date")),
                name="coverage_end_after_start",
                violation_error_message="The end date cannot be before the effective date.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payer_name} ({self.get_priority_display()})"


class CareTeamMember(TimeStampedModel):
    """Staff with a role on the case besides (or as well as) the primary clinician."""

    class CaseRole(models.TextChoices):
        COUNSELOR = "counselor", "Counselor"
        THERAPIST = "therapist", "Therapist (CBT/MET)"
        PRESCRIBER = "prescriber", "Prescriber"
        NURSE = "nurse", "Nurse"
        PEER = "peer_support", "Peer support specialist"
        CASE_MANAGER = "case_manager", "Case manager"
        SUPERVISOR = "supervisor", "Clinical supervisor"

    id = models.BigAutoField(primary_key=True)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="care_team")
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="care_team_roles"
    )
    role = models.CharField(max_length=20, choices=CaseRole.choices)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["patient", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "staff", "role"],
                condition=models.Q(end_date__isnull=True),
                name="care_team_active_unique",
                violation_error_message="This staff member already has this role on the case.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()}"
