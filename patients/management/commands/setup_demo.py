"""Create the demo site, one account per role, and about 50 fake patients. Idempotent.

Credentials are printed only on the embedded SQLite default or with --show-credentials: on a real
database the passwords are random and shown once, when the accounts are created.
"""

import secrets

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand
from django.db import transaction

from clinic.access import ROLE_GROUPS, Role
from clinic.models import Site, StaffProfile

DEMO_SITE = {"code": "DEMO", "name": "Demo Recovery Clinic", "city": "Springfield", "state": "IL"}
DEMO_ACCOUNTS = [
    ("frontdesk", Role.FRONT_DESK, "Fran Desk", ""),
    ("clinician", Role.CLINICIAN, "Casey Counselor", "LCSW"),
    ("medical", Role.MEDICAL_STAFF, "Morgan Medic", "NP"),
    ("clinicadmin", Role.CLINIC_ADMIN, "Alex Admin", ""),
    ("integration", Role.INTEGRATION, "Lab Integration", ""),
]
EMBEDDED_PASSWORD = "demo-password-2026"  # embedded demo only; documented in README


class Command(BaseCommand):
    help = "Create the demo site, one account per role and fake demo patients (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, default=50, help="Demo patients wanted.")
        parser.add_argument(
            "--show-credentials",
            action="store_true",
            help="Print account passwords even when not on the embedded SQLite database.",
        )

    def handle(self, *args, patients: int, show_credentials: bool, **options):
        embedded = settings.USING_EMBEDDED_DATABASE
        show = embedded or show_credentials
        with transaction.atomic():
            site, _ = Site.objects.get_or_create(code=DEMO_SITE["code"], defaults=DEMO_SITE)
            created = []
            for username, role, display_name, credentials in DEMO_ACCOUNTS:
                user = User.objects.filter(username=username).first()
                if user is not None:
                    continue
                password = EMBEDDED_PASSWORD if embedded else secrets.token_urlsafe(12)
                user = User.objects.create_user(
                    username=username,
                    email=f"{username}@demo.invalid",
                    password=password,
                    is_staff=role != Role.INTEGRATION,
                )
                user.groups.add(Group.objects.get_or_create(name=ROLE_GROUPS[role])[0])
                profile = StaffProfile.objects.create(
                    user=user, display_name=display_name, credentials=credentials
                )
                profile.sites.add(site)
                created.append((username, ROLE_GROUPS[role], password))
        added = self._demo_patients(site, patients)

        self.stdout.write(f"Demo site {site.code}: {added} demo patient(s) added.")
        if created:
            self.stdout.write("Demo accounts created:")
            for username, role, password in created:
                shown = password if show else "(hidden; rerun with --show-credentials is too late)"
                self.stdout.write(f"  {role:<14} {username:<12} {shown}")
        elif embedded:
            self.stdout.write(
                "Demo accounts: frontdesk, clinician, medical, clinicadmin, integration; "
                f"password {EMBEDDED_PASSWORD}"
            )

    def _demo_patients(self, site, wanted: int) -> int:
        from patients.demo import create_demo_patients

        return create_demo_patients(site=site, wanted=wanted)
