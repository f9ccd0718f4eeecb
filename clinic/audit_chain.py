"""Verification of the audit trail's tamper-evident hash chain."""

from __future__ import annotations

from dataclasses import dataclass

from clinic.models import GENESIS_HASH, AuditEvent


@dataclass(frozen=True)
class ChainResult:
    ok: bool
    checked: int
    broken_id: int | None = None
    reason: str = ""


def verify_chain(*, chunk_size: int = 5000) -> ChainResult:
    """Each event must point at the previous event's hash and hash to its stored value.

    A changed field breaks that event's own hash; a deleted or inserted event breaks the next
    event's link; both are reported at the first event where the chain no longer holds.
    """
    prev = GENESIS_HASH
    checked = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=chunk_size):
        if event.prev_hash != prev:
            return ChainResult(False, checked, event.pk, "does not link to the previous event")
        if event.compute_hash() != event.hash:
            return ChainResult(False, checked, event.pk, "contents do not match its hash")
        prev = event.hash
        checked += 1
    return ChainResult(True, checked)
