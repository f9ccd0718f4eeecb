"""Sessions and their notes: individual sessions, group sessions with attendance, addenda, and the
Part 2 counselling notes that are kept apart from the rest of the record.

A signed note is locked here, in the model, so no door (API, admin, shell, bulk update) can change
it: save() refuses a change to a signed row's content and the queryset refuses bulk updates.
After signing only addenda are added, and addenda never change.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from clinic import access
from clinic.errors import Conflict
from clinic.models import (
    ArchivableModel,
    ArchivableQuerySet,
    ProtectedDeletion,
    Site,
    TimeStampedModel,
    UUIDModel,
)
from patients.models import CareTeamMember, Patient

MAX_SESSION_MINUTES = 480


class NoteLocked(Conflict):
    """A signed note (or a signed group's attendance) was about to change: 409, nothing saved."""


_LOCKED_MESSAGE = "This note is signed and locked; add an addendum instead."


class Modality(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    TELEHEALTH_VIDEO = "telehealth_video", "Telehealth (video)"
    TELEPHONE = "telephone", "Telephone"


class SignedQuerySet(ArchivableQuerySet):
    """Bulk updates (and bulk_update) cannot reach into signed rows' content."""

    def update(self, **kwargs):
        if set(kwargs) - self.model.EDITABLE_AFTER_SIGNING and self._touches_signed():
            raise NoteLocked(_LOCKED_MESSAGE)
        return super().update(**kwargs)

    def _touches_signed(self) -> bool:
        return self.filter(signed_at__isnull=False).exists()


class SignedNote(models.Model):
    """Signing fields and the lock. Subclasses list what may still change after signing."""

    EDITABLE_AFTER_SIGNING = frozenset(
        {"updated_at", "archived_at", "archived_by", "archive_reason"}
    )

    signed_at = models.DateTimeField(null=True, blank=True, editable=False)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            self._refuse_change_to_signed()
        super().save(*args, **kwargs)

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    @property
    def status(self) -> str:
        return "signed" if self.is_signed else "draft"

    def _refuse_change_to_signed(self) -> None:
        names = [
            f.attname
            for f in self._meta.concrete_fields
            if f.name not in self.EDITABLE_AFTER_SIGNING and not f.primary_key
        ]
        stored = (
            type(self)
            ._base_manager.filter(pk=self.pk, signed_at__isnull=False)
            .values(*names)
            .first()
        )
        if stored is not None and any(stored[n] != getattr(self, n) for n in names):
            raise NoteLocked(_LOCKED_MESSAGE)


class AddendumQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ProtectedDeletion("Addenda never change.")

    def delete(self):
        raise ProtectedDeletion("Addenda are never deleted.")


class Addendum(UUIDModel):
    """An addition to a signed note: who, when, what and why. Written once, never changed."""

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    written_at = models.DateTimeField(default=timezone.now, editable=False)
    text = models.TextField()
    reason = models.CharField(
        max_length=200, help_text="Why the note needed an addendum (correction, late entry, ...)."
    )

    objects = AddendumQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["written_at"]

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ProtectedDeletion("Addenda never change.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ProtectedDeletion("Addenda are never deleted.")


# --- Individual sessions -------------------------------------------------------------------------


class IndividualSession(UUIDModel, TimeStampedModel, ArchivableModel, SignedNote):
    """One session with one patient and its structured progress note (DAP or SOAP)."""

    class SessionType(models.TextChoices):
        CBT = "cbt", "Cognitive behavioural therapy (CBT)"
        MET = "met", "Motivational enhancement therapy (MET)"
        INDIVIDUAL_COUNSELING = "individual_counseling", "Individual counseling"
        MEDICAL_VISIT = "medical_visit", "Medical visit"
        PEER_SUPPORT = "peer_support", "Peer support"
        CASE_MANAGEMENT = "case_management", "Case management"

    class NoteFormat(models.TextChoices):
        DAP = "dap", "DAP (data, assessment, plan)"
        SOAP = "soap", "SOAP (subjective, objective, assessment, plan)"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="sessions")
    session_type = models.CharField(max_length=24, choices=SessionType.choices)
    started_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_SESSION_MINUTES)]
    )
    modality = models.CharField(max_length=20, choices=Modality.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        help_text="The staff member who held the session and wrote the note.",
    )
    appointment_id = models.UUIDField(
        null=True, blank=True, help_text="The appointment this session fulfils, if any."
    )
    # Objectives addressed, as UUIDs of treatment-plan objectives. The plan models live on another
    # branch; this becomes a many-to-many link when they are merged.
    objective_ids = models.JSONField(
        null=True, blank=True, help_text="UUIDs of the treatment-plan objectives addressed."
    )
    course_session_number = models.PositiveSmallIntegerField(null=True, blank=True)
    course_planned_sessions = models.PositiveSmallIntegerField(null=True, blank=True)
    note_format = models.CharField(max_length=4, choices=NoteFormat.choices, default=NoteFormat.DAP)
    data = models.TextField(blank=True, help_text="DAP: what was observed and said.")
    subjective = models.TextField(blank=True, help_text="SOAP: the patient's own account.")
    objective = models.TextField(blank=True, help_text="SOAP: observations, measures, screens.")
    assessment = models.TextField(blank=True, help_text="DAP and SOAP: clinical interpretation.")
    plan = models.TextField(blank=True, help_text="DAP and SOAP: next steps.")

    objects = SignedQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["patient", "-started_at"]),
            models.Index(fields=["author", "-started_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=1, duration_minutes__lte=MAX_SESSION_MINUTES),
                name="session_duration_range",
                violation_error_message="A session lasts 1 to 480 minutes.",
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        session_type__in=["cbt", "met"],
                        course_session_number__gte=1,
                        course_planned_sessions__gte=1,
                        course_session_number__lte=models.F("course_planned_sessions"),
                    )
                    | (
                        ~Q(session_type__in=["cbt", "met"])
                        & Q(course_session_number__isnull=True)
                        & Q(course_planned_sessions__isnull=True)
                    )
                ),
                name="session_course_numbering",
                violation_error_message="CBT and MET sessions are numbered 1 to the planned "
                "number of their course; other sessions are not numbered.",
            ),
            models.UniqueConstraint(
                fields=["patient", "session_type", "course_session_number"],
                condition=Q(archived_at__isnull=True, course_session_number__isnull=False),
                name="session_course_number_unique",
                violation_error_message="This session number is already recorded in the "
                "patient's course.",
            ),
            models.CheckConstraint(
                condition=Q(signed_at__isnull=True, signed_by__isnull=True)
                | Q(signed_at__isnull=False, signed_by__isnull=False),
                name="session_signed_by_and_at",
                violation_error_message="A signature has both a signer and a time.",
            ),
            models.CheckConstraint(
                condition=Q(signed_at__isnull=True)
                | (Q(note_format="dap") & ~Q(data="") & ~Q(assessment="") & ~Q(plan=""))
                | (
                    Q(note_format="soap")
                    & ~Q(subjective="")
                    & ~Q(objective="")
                    & ~Q(assessment="")
                    & ~Q(plan="")
                ),
                name="session_signed_note_complete",
                violation_error_message="A signed note has every field of its format.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_session_type_display()} {self.started_at:%Y-%m-%d}"

    @property
    def course_label(self) -> str:
        if self.course_session_number is None:
            return ""
        return f"{self.course_session_number} of {self.course_planned_sessions}"


class SessionAddendum(Addendum):
    session = models.ForeignKey(
        IndividualSession, on_delete=models.PROTECT, related_name="addenda", editable=False
    )
    history = HistoricalRecords()

    class Meta(Addendum.Meta):
        verbose_name_plural = "session addenda"

    def __str__(self) -> str:
        return f"Addendum {self.written_at:%Y-%m-%d %H:%M}"


# --- Group sessions ------------------------------------------------------------------------------


class GroupSession(UUIDModel, TimeStampedModel, ArchivableModel, SignedNote):
    """A group held at a site by one or two facilitators, with a roster of per-patient rows.

    The group's `summary` is about the group as a whole and is shown only with the group itself,
    never in one patient's record (it could mention others).
    """

    class Topic(models.TextChoices):
        PSYCHOEDUCATION = "psychoeducation", "Psychoeducation"
        CBT_SKILLS = "cbt_skills", "CBT skills"
        RELAPSE_PREVENTION = "relapse_prevention", "Relapse prevention"
        PEER_SUPPORT = "peer_support", "Peer support"
        HEALTHY_ACTIVITIES = "healthy_activities", "Healthy activities"
        OTHER = "other", "Other"

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="group_sessions")
    topic = models.CharField(max_length=24, choices=Topic.choices)
    title = models.CharField(max_length=120, blank=True, help_text="Required for 'Other'.")
    started_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_SESSION_MINUTES)]
    )
    modality = models.CharField(max_length=20, choices=Modality.choices, default="in_person")
    facilitators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="facilitated_groups"
    )
    summary = models.TextField(
        blank=True,
        help_text="The group note: what was covered. About the group, never about one patient.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )

    objects = SignedQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"], m2m_fields=[facilitators])

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["site", "-started_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=1, duration_minutes__lte=MAX_SESSION_MINUTES),
                name="group_duration_range",
                violation_error_message="A session lasts 1 to 480 minutes.",
            ),
            models.CheckConstraint(
                condition=~Q(topic="other") | ~Q(title=""),
                name="group_other_topic_has_title",
                violation_error_message="A group on another topic needs a title.",
            ),
            models.CheckConstraint(
                condition=Q(signed_at__isnull=True, signed_by__isnull=True)
                | Q(signed_at__isnull=False, signed_by__isnull=False),
                name="group_signed_by_and_at",
                violation_error_message="A signature has both a signer and a time.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.topic_label} {self.started_at:%Y-%m-%d}"

    @property
    def topic_label(self) -> str:
        return self.title if self.topic == self.Topic.OTHER else self.get_topic_display()


class GroupAttendanceQuerySet(ArchivableQuerySet):
    def update(self, **kwargs):
        if self.filter(group__signed_at__isnull=False).exists():
            raise NoteLocked(_LOCKED_MESSAGE)
        return super().update(**kwargs)

    def visible_to(self, user, *, token=None):
        """Rows of patients at the sites this user (or token) may see."""
        return access.scope_queryset(self, user, "patient__site", token=token)


class GroupAttendance(TimeStampedModel, ArchivableModel):
    """One patient's row in a group: attended, absent or excused, with a short note about them.

    Archiving a row (while the group is unsigned) takes out a patient added by mistake.
    """

    class Status(models.TextChoices):
        ATTENDED = "attended", "Attended"
        ABSENT = "absent", "Absent"
        EXCUSED = "excused", "Excused"

    id = models.BigAutoField(primary_key=True)
    group = models.ForeignKey(GroupSession, on_delete=models.PROTECT, related_name="attendance")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="group_attendance")
    status = models.CharField(max_length=10, choices=Status.choices)
    note = models.CharField(
        max_length=500, blank=True, help_text="About this patient only; never name others."
    )

    objects = GroupAttendanceQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["group", "id"]
        verbose_name_plural = "group attendance"
        constraints = [
            models.UniqueConstraint(
                fields=["group", "patient"],
                condition=Q(archived_at__isnull=True),
                name="group_attendance_once",
                violation_error_message="This patient is already on the group's roster.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()}"

    def save(self, *args, **kwargs):
        if GroupSession._base_manager.filter(pk=self.group_id, signed_at__isnull=False).exists():
            raise NoteLocked(_LOCKED_MESSAGE)
        super().save(*args, **kwargs)


class GroupAddendum(Addendum):
    """An addendum to a signed group. With `attendance` it concerns that patient's row and shows in
    their record; without, it concerns the group note and shows only with the group."""

    group = models.ForeignKey(
        GroupSession, on_delete=models.PROTECT, related_name="addenda", editable=False
    )
    attendance = models.ForeignKey(
        GroupAttendance,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="addenda",
        editable=False,
    )
    history = HistoricalRecords()

    class Meta(Addendum.Meta):
        verbose_name_plural = "group addenda"

    def __str__(self) -> str:
        return f"Addendum {self.written_at:%Y-%m-%d %H:%M}"


# --- Part 2 counselling notes --------------------------------------------------------------------


class CounsellingNoteQuerySet(SignedQuerySet):
    def visible_to(self, user, *, token=None):
        """The extra Part 2 rule on top of role and site: only the author, the patient's primary
        clinician and clinicians on the patient's active care team may read a counselling note."""
        if not access.can(user, "counselling_note", "view", token=token):
            return self.none()
        qs = access.scope_queryset(self, user, "patient__site", token=token)
        today = timezone.localdate()
        on_team = CareTeamMember.objects.filter(
            patient_id=OuterRef("patient_id"), staff=user, start_date__lte=today
        ).filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        return qs.filter(Q(author=user) | Q(patient__primary_clinician=user) | Exists(on_team))


class CounsellingNote(UUIDModel, TimeStampedModel, ArchivableModel, SignedNote):
    """A counselling (psychotherapy-style) note under 42 CFR Part 2: kept apart from the general
    record, never in its note lists or exports, disclosed only under its own consent."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(
        IndividualSession,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The session this note belongs to, if any.",
    )
    occurred_at = models.DateTimeField(help_text="When the counselling took place.")
    content = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )

    objects = CounsellingNoteQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [models.Index(fields=["patient", "-occurred_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(signed_at__isnull=True, signed_by__isnull=True)
                | Q(signed_at__isnull=False, signed_by__isnull=False),
                name="counselling_signed_by_and_at",
                violation_error_message="A signature has both a signer and a time.",
            ),
        ]

    def __str__(self) -> str:
        return f"Counselling note {self.occurred_at:%Y-%m-%d}"


class CounsellingNoteAddendum(Addendum):
    note = models.ForeignKey(
        CounsellingNote, on_delete=models.PROTECT, related_name="addenda", editable=False
    )
    history = HistoricalRecords()

    class Meta(Addendum.Meta):
        verbose_name_plural = "counselling note addenda"

    def __str__(self) -> str:
        return f"Addendum {self.written_at:%Y-%m-%d %H:%M}"
