"""Clinic-wide models: sites, staff, API tokens, the audit trail, and abstract bases."""

import hashlib
import json
import secrets
import uuid
import zoneinfo
from datetime import UTC

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import connections, models, transaction
from django.utils import timezone
from simple_history.models import HistoricalRecords

# --- Abstract bases ------------------------------------------------------------------------------


class UUIDModel(models.Model):
    """Opaque UUID primary key: URLs never carry a guessable or meaningful identifier."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)

    class Meta:
        abstract = True


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class ArchivableQuerySet(models.QuerySet):
    def active(self):
        return self.filter(archived_at__isnull=True)

    def delete(self):
        raise ProtectedDeletion("Clinical records are archived, never deleted.")


class ProtectedDeletion(Exception):
    """Raised when code tries to hard-delete a record that must be archived instead."""


class ArchivableModel(models.Model):
    """Clinical and patient records are archived, never deleted: nothing clinical is lost."""

    archived_at = models.DateTimeField(null=True, blank=True, editable=False, db_index=True)
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
    )
    archive_reason = models.CharField(max_length=200, blank=True, editable=False)

    class Meta:
        abstract = True

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    def delete(self, *args, **kwargs):
        raise ProtectedDeletion(f"{type(self).__name__} records are archived, never deleted.")


# --- Sites and staff -----------------------------------------------------------------------------

_site_code_validator = RegexValidator(
    r"^[A-Z0-9]{2,8}$", "Use 2 to 8 capital letters or digits, for example NSH1."
)


def _validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known IANA time zone.")


class Site(TimeStampedModel):
    """A clinic location. Patients belong to a site; staff work at one or more sites."""

    name = models.CharField(max_length=120, unique=True)
    code = models.CharField(
        max_length=8,
        unique=True,
        validators=[_site_code_validator],
        help_text="Short code used in MRNs, for example NSH1.",
    )
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, blank=True)
    postal_code = models.CharField(max_length=10, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    timezone = models.CharField(
        max_length=64, default="America/Chicago", validators=[_validate_timezone]
    )
    is_active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class StaffProfile(TimeStampedModel):
    """Who a staff member is clinically (credentials, NPI) and where they work."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    display_name = models.CharField(max_length=120)
    credentials = models.CharField(
        max_length=60, blank=True, help_text="For example LCSW, LPC, MD, NP, RN, CADC."
    )
    npi = models.CharField(
        max_length=10,
        blank=True,
        validators=[RegexValidator(r"^\d{10}$", "An NPI is exactly 10 digits.")],
        verbose_name="NPI",
    )
    sites = models.ManyToManyField(Site, related_name="staff", blank=True)
    history = HistoricalRecords(m2m_fields=[sites])

    class Meta:
        ordering = ["display_name"]

    def __str__(self) -> str:
        return f"{self.display_name}, {self.credentials}" if self.credentials else self.display_name

    def clean(self) -> None:
        if self.npi and not _npi_checksum_ok(self.npi):
            raise ValidationError(
                {"npi": "This NPI fails the check digit (Luhn with prefix 80840)."}
            )


def _npi_checksum_ok(npi: str) -> bool:
    digits = [int(c) for c in "80840" + npi]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


# --- API tokens ----------------------------------------------------------------------------------


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def usable(self):
        now = timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=now)


class ApiToken(TimeStampedModel):
    """A named integration token. Only a SHA-256 of the secret is stored; the key is shown once.

    The key has the form ``<prefix>.<secret>``: the prefix finds the row, the secret is compared in
    constant time against the stored hash.
    """

    class Scope(models.TextChoices):
        READ = "read", "Read only"
        READ_WRITE = "read_write", "Read and write"

    name = models.CharField(max_length=100)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_tokens"
    )
    prefix = models.CharField(max_length=12, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    scope = models.CharField(max_length=12, choices=Scope.choices, default=Scope.READ)
    sites = models.ManyToManyField(Site, related_name="api_tokens")
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @staticmethod
    def new_key() -> tuple[str, str, str]:
        """Return (full key, prefix, secret hash) for a fresh token."""
        prefix = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        return f"{prefix}.{secret}", prefix, _hash_secret(secret)

    def matches(self, secret: str) -> bool:
        return secrets.compare_digest(self.secret_hash, _hash_secret(secret))

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()

    @property
    def can_write(self) -> bool:
        return self.scope == self.Scope.READ_WRITE


# --- Audit trail ---------------------------------------------------------------------------------


_AUDIT_CHAIN_LOCK = 0x41554449  # "AUDI": one advisory lock serialises the hash chain
GENESIS_HASH = "0" * 64


def _lock_audit_chain(using: str) -> None:
    """Serialise chain appends until the transaction ends, so two writers never fork the chain.

    SQLite serialises writers by itself; PostgreSQL takes a transaction-level advisory lock.
    """
    conn = connections[using]
    if conn.vendor == "postgresql":
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_AUDIT_CHAIN_LOCK])


def _last_audit_hash(using: str) -> str:
    last = AuditEvent.objects.using(using).order_by("-id").values_list("hash", flat=True).first()
    return last or GENESIS_HASH


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ProtectedDeletion("Audit events are append-only.")

    def delete(self):
        raise ProtectedDeletion("Audit events are append-only.")

    def bulk_create(self, objs, *args, **kwargs):
        """Append rows to the hash chain in the order given, under the chain lock."""
        objs = list(objs)
        with transaction.atomic(using=self.db):
            _lock_audit_chain(self.db)
            prev = _last_audit_hash(self.db)
            for obj in objs:
                obj.prev_hash = prev
                obj.hash = obj.compute_hash()
                prev = obj.hash
            return super().bulk_create(objs, *args, **kwargs)


class AuditEvent(models.Model):
    """Append-only record of who did what to which patient's data, when, from where, and outcome.

    Fields follow ASTM E2147. There is no update or delete path: save() refuses existing rows and
    the queryset refuses bulk update and delete.
    """

    class Action(models.TextChoices):
        CREATE = "create"
        READ = "read"
        UPDATE = "update"
        ARCHIVE = "archive"
        EXPORT = "export"
        DISCLOSE = "disclose"
        LOGIN = "login"
        LOGOUT = "logout"
        LOGIN_FAILED = "login_failed"
        PERMISSION_CHANGE = "permission_change"
        TOKEN_CHANGE = "token_change"

    class Source(models.TextChoices):
        ADMIN = "admin"
        API = "api"
        FHIR = "fhir"
        WEB = "web"
        SYSTEM = "system"

    class Outcome(models.TextChoices):
        SUCCESS = "success"
        DENIED = "denied"
        FAILURE = "failure"

    id = models.BigAutoField(primary_key=True)
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_events",
    )
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices, db_index=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    patient_id = models.UUIDField(null=True, blank=True, db_index=True)
    site_id = models.BigIntegerField(null=True, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.SYSTEM)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.SUCCESS)
    request_id = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    token_prefix = models.CharField(max_length=12, blank=True)
    detail = models.CharField(max_length=200, blank=True, help_text="Never patient data.")
    prev_hash = models.CharField(max_length=64, editable=False, default="")
    hash = models.CharField(max_length=64, editable=False, default="")

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["patient_id", "-occurred_at"])]

    def __str__(self) -> str:
        return (
            f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_type}"
        )

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ProtectedDeletion("Audit events are append-only.")
        using = kwargs.get("using") or "default"
        with transaction.atomic(using=using):
            _lock_audit_chain(using)
            self.prev_hash = _last_audit_hash(using)
            self.hash = self.compute_hash()
            super().save(*args, **kwargs)

    HASHED_FIELDS = (
        "occurred_at",
        "actor_id",
        "actor_label",
        "action",
        "object_type",
        "object_id",
        "patient_id",
        "site_id",
        "source",
        "outcome",
        "request_id",
        "ip_address",
        "token_prefix",
        "detail",
    )

    def compute_hash(self) -> str:
        """SHA-256 over the event's fields and the previous event's hash (tamper evidence)."""
        values = []
        for name in self.HASHED_FIELDS:
            value = getattr(self, name)
            if name == "occurred_at" and value is not None:
                value = value.astimezone(UTC).isoformat(timespec="microseconds")
            values.append("" if value is None else str(value))
        payload = json.dumps([self.prev_hash, *values], separators=(",", ":"))
        return hashlib.sha256(payload.encode()).hexdigest()

    def delete(self, *args, **kwargs):
        raise ProtectedDeletion("Audit events are append-only.")
