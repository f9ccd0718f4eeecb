"""factory_boy factories. Fake people only (Faker); never real patient data."""

import datetime as dt

import factory
from django.contrib.auth.models import Group, User
from faker import Faker

from clinic.access import ROLE_GROUPS
from clinic.models import Site, StaffProfile

fake = Faker("en_US")


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site
        django_get_or_create = ("code",)

    name = factory.Sequence(lambda n: f"Test Clinic {n}")
    code = factory.Sequence(lambda n: f"S{n:03d}")
    city = "Springfield"
    state = "IL"
    timezone = "America/Chicago"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@clinic.test")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(
                *[Group.objects.get_or_create(name=ROLE_GROUPS[r])[0] for r in extracted]
            )
        if create:
            self.save()


class StaffProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffProfile
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    display_name = factory.LazyFunction(fake.name)
    credentials = "LCSW"

    @factory.post_generation
    def sites(self, create, extracted, **kwargs):
        if create and extracted:
            self.sites.add(*extracted)


def staff_user(*, roles, sites, username=None, **kwargs) -> User:
    user = UserFactory(roles=roles, **({"username": username} if username else {}), **kwargs)
    StaffProfileFactory(user=user, sites=sites)
    return user


def register_patient(site, **overrides):
    """A fake patient registered through the service, as the front desk would."""
    from patients.services.patient import patient_register

    values = {
        "first_name": fake.first_name(),
        "last_name": fake.last_name(),
        "date_of_birth": fake.date_between(dt.date(1950, 1, 1), dt.date(2005, 12, 31)),
        # Fixtures build known people; tests of the duplicate check pass False explicitly.
        "confirm_not_duplicate": True,
    }
    values.update(overrides)
    return patient_register(site=site, **values)


# --- Sessions and notes --------------------------------------------------------------------------


def draft_session(patient, author, **overrides):
    """A draft individual session with a complete DAP note, written through the service."""
    from django.utils import timezone

    from treatment.services.sessions import session_create

    values = {
        "session_type": "individual_counseling",
        "started_at": timezone.now() - dt.timedelta(hours=2),
        "duration_minutes": 50,
        "modality": "in_person",
        "note_format": "dap",
        "data": fake.paragraph(),
        "assessment": fake.paragraph(),
        "plan": fake.paragraph(),
    }
    values.update(overrides)
    return session_create(patient=patient, user=author, **values)


def signed_session(patient, author, **overrides):
    from treatment.services.sessions import session_sign

    return session_sign(session=draft_session(patient, author, **overrides), user=author)


def group_session(site, user, *, facilitators=None, rows=(), **overrides):
    """A group at `site` facilitated by `user` (unless told), with roster `rows`: a list of
    (patient, status, note)."""
    from django.utils import timezone

    from treatment.services.sessions import group_session_create

    values = {
        "topic": "relapse_prevention",
        "started_at": timezone.now() - dt.timedelta(hours=3),
        "duration_minutes": 90,
        "summary": fake.paragraph(),
    }
    values.update(overrides)
    attendance = [{"patient": p, "status": s, "note": n} for p, s, n in rows]
    return group_session_create(
        site=site, user=user, facilitators=facilitators or [user], attendance=attendance, **values
    )
