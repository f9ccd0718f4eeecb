"""Writing audit events. Reads, exports, disclosures and log-ins all come through here.

Context (request id, client address, source) comes from the request context set by the
middleware, so callers name only what happened.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from clinic.context import current_request_context
from clinic.models import AuditEvent


def _base_fields(actor, token=None, source: str | None = None) -> dict:
    ctx = current_request_context()
    fields = {
        "request_id": ctx.request_id if ctx else "",
        "ip_address": ctx.ip if ctx else None,
        "source": source or (ctx.source if ctx and ctx.source != "web" else "system"),
        "token_prefix": getattr(token, "prefix", "") or "",
    }
    if actor is not None and getattr(actor, "is_authenticated", False):
        fields["actor"] = actor
        fields["actor_label"] = actor.get_username()[:150]
    return fields


def record_event(
    *,
    action: str,
    actor=None,
    object_type: str = "",
    object_id: object = "",
    patient_id: UUID | None = None,
    site_id: int | None = None,
    outcome: str = AuditEvent.Outcome.SUCCESS,
    detail: str = "",
    token=None,
    source: str | None = None,
    actor_label: str = "",
) -> AuditEvent:
    fields = _base_fields(actor, token, source)
    if actor_label and "actor_label" not in fields:
        fields["actor_label"] = actor_label[:150]
    return AuditEvent.objects.create(
        action=action,
        object_type=object_type,
        object_id=str(object_id)[:64],
        patient_id=patient_id,
        site_id=site_id,
        outcome=outcome,
        detail=detail[:200],
        **fields,
    )


def record_reads(
    *,
    actor,
    object_type: str,
    records: Iterable[tuple[object, UUID | None, int | None]],
    token=None,
    source: str | None = None,
    action: str = AuditEvent.Action.READ,
) -> int:
    """One audit row per record read, written with a single INSERT whatever the page size.

    `records` yields (object id, patient id, site id).
    """
    fields = _base_fields(actor, token, source)
    rows = [
        AuditEvent(
            action=action,
            object_type=object_type,
            object_id=str(object_id)[:64],
            patient_id=patient_id,
            site_id=site_id,
            **fields,
        )
        for object_id, patient_id, site_id in records
    ]
    if rows:
        AuditEvent.objects.bulk_create(rows)
    return len(rows)
