"""Verify the audit trail's hash chain and name the first broken link."""

from django.core.management.base import BaseCommand, CommandError

from clinic.audit_chain import verify_chain


class Command(BaseCommand):
    help = "Walk the audit hash chain in order; exit 1 naming the first broken link."

    def handle(self, *args, **options):
        result = verify_chain()
        if result.ok:
            self.stdout.write(f"Audit chain intact: {result.checked} event(s) verified.")
            return
        raise CommandError(
            f"Audit chain broken at event id {result.broken_id}: {result.reason} "
            f"({result.checked} event(s) verified before it)."
        )
