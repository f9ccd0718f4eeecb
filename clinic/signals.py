"""Authentication events feed the audit trail (signals only feed the generic audit layer)."""

from django.contrib.auth import signals as auth_signals
from django.dispatch import receiver

from clinic.audit import record_event
from clinic.models import AuditEvent


@receiver(auth_signals.user_logged_in)
def _audit_login(sender, request, user, **kwargs):
    record_event(action=AuditEvent.Action.LOGIN, actor=user, object_type="user", object_id=user.pk)


@receiver(auth_signals.user_logged_out)
def _audit_logout(sender, request, user, **kwargs):
    record_event(
        action=AuditEvent.Action.LOGOUT,
        actor=user,
        object_type="user",
        object_id=getattr(user, "pk", "") or "",
    )


@receiver(auth_signals.user_login_failed)
def _audit_login_failed(sender, credentials, request=None, **kwargs):
    # The attempted username is not stored: it may be a mistyped password or a patient's name.
    record_event(
        action=AuditEvent.Action.LOGIN_FAILED,
        object_type="user",
        outcome=AuditEvent.Outcome.FAILURE,
    )
