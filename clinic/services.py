"""Writes to clinic-wide records: staff, tokens."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from clinic import access
from clinic.audit import record_event
from clinic.models import ApiToken, AuditEvent, Site


@transaction.atomic
def api_token_create(
    *,
    name: str,
    user,
    sites: list[Site],
    scope: str = ApiToken.Scope.READ,
    expires_at: dt.datetime | None = None,
    created_by=None,
) -> tuple[ApiToken, str]:
    """Create a token and return it with its key, which is not stored and cannot be shown again."""
    from django.conf import settings

    errors = {}
    if not sites:
        errors["sites"] = ["A token must be tied to at least one site."]
    if expires_at is None:
        expires_at = timezone.now() + dt.timedelta(days=settings.API_TOKEN_DEFAULT_DAYS)
    elif expires_at <= timezone.now():
        errors["expires_at"] = ["The expiry must be in the future."]
    if access.Role.INTEGRATION not in access.user_roles(user):
        errors["user"] = ["Tokens are issued to accounts in the Integration role only."]
    if created_by is not None and sites:
        allowed = access.visible_site_ids(created_by)
        if allowed is not access.ALL_SITES and any(s.pk not in allowed for s in sites):
            errors["sites"] = ["You may only issue tokens for your own sites."]
    if errors:
        raise ValidationError(errors)
    key, prefix, secret_hash = ApiToken.new_key()
    token = ApiToken(
        name=name,
        user=user,
        prefix=prefix,
        secret_hash=secret_hash,
        scope=scope,
        expires_at=expires_at,
        created_by=created_by,
    )
    token.full_clean()
    token.save()
    token.sites.set(sites)
    record_event(
        action=AuditEvent.Action.TOKEN_CHANGE,
        actor=created_by,
        object_type="api_token",
        object_id=token.pk,
        detail="created",
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken, user) -> ApiToken:
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
        record_event(
            action=AuditEvent.Action.TOKEN_CHANGE,
            actor=user,
            object_type="api_token",
            object_id=token.pk,
            detail="revoked",
        )
    return token
