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


def record_consent(patient, *, recorded_by=None, **overrides):
    """A Part 2 disclosure consent, signed today on paper, to a named recipient for treatment."""
    from django.utils import timezone

    from patients.services.consent import consent_record

    values = {
        "kind": "part2_disclosure",
        "signed_on": timezone.localdate(),
        "signature_method": "wet_ink",
        "recipient_name": fake.company(),
        "purposes": ["treatment"],
        "information": ["diagnosis", "medications"],
        "expires_on": timezone.localdate() + dt.timedelta(days=365),
    }
    values.update(overrides)
    return consent_record(patient=patient, recorded_by=recorded_by, **values)


def book_appointment(patient, staff, start, *, minutes=50, user=None, **overrides):
    """An appointment booked through the scheduling service (so every rule applies)."""
    from patients.services.scheduling import appointment_book

    values = {"type": "counseling", "modality": "in_person"}
    values.update(overrides)
    return appointment_book(
        patient=patient,
        staff=staff,
        start=start,
        end=start + dt.timedelta(minutes=minutes),
        user=user,
        **values,
    )
