"""The audit trail is tamper-evident: a hash chain, a verifier, and no way to change rows."""

import itertools

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from clinic.audit import record_event, record_reads
from clinic.audit_chain import verify_chain
from clinic.models import GENESIS_HASH, AuditEvent


def _events(n=5):
    for i in range(n):
        record_event(action="read", object_type="patient", object_id=f"obj-{i}")
    record_reads(
        actor=None, object_type="patient", records=[(f"bulk-{i}", None, None) for i in range(3)]
    )
    return list(AuditEvent.objects.order_by("id"))


def _raw(sql, params):
    """Change rows behind the application's back, as an attacker with database access would
    (on PostgreSQL a superuser who switches triggers off for the session)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")


def test_each_event_links_to_the_previous_one(db):
    events = _events()
    assert events[0].prev_hash == GENESIS_HASH
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.hash
        assert len(after.hash) == 64
    assert verify_chain().ok
    assert verify_chain().checked == 8


def test_a_changed_field_is_found_at_its_event(db, capsys):
    events = _events()
    _raw("UPDATE clinic_auditevent SET detail = %s WHERE id = %s", ["edited", events[3].pk])
    result = verify_chain()
    assert (result.ok, result.broken_id, result.checked) == (False, events[3].pk, 3)
    assert "contents do not match" in result.reason
    with pytest.raises(CommandError, match=f"broken at event id {events[3].pk}"):
        call_command("verify_audit_chain")


def test_a_deleted_event_is_found_at_the_next_one(db):
    events = _events()
    _raw("DELETE FROM clinic_auditevent WHERE id = %s", [events[2].pk])
    result = verify_chain()
    assert (result.ok, result.broken_id) == (False, events[3].pk)
    assert "does not link" in result.reason


def test_the_command_reports_an_intact_chain(db, capsys):
    _events(2)
    call_command("verify_audit_chain")
    assert "5 event(s) verified" in capsys.readouterr().out


@pytest.mark.postgres
def test_the_database_refuses_updates_and_deletes(db):
    event = _events(1)[0]
    for sql in (
        "UPDATE clinic_auditevent SET detail = 'x' WHERE id = %s",
        "DELETE FROM clinic_auditevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [event.pk])
    assert verify_chain().ok
