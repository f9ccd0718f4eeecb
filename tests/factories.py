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
            self.groups.add(*[Group.objects.get(name=ROLE_GROUPS[r]) for r in extracted])
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
    }
    values.update(overrides)
    return patient_register(site=site, **values)


# --- Assessments and alerts ------------------------------------------------------------------


def phq9_answers(*, item_9: int = 0, each: int = 0) -> dict:
    """PHQ-9 answers: items 1-8 all `each`, item 9 as given."""
    answers = {f"item_{n}": each for n in range(1, 9)}
    answers["item_9"] = item_9
    return answers


def cows_answers(*, pulse: int = 72, **items: int) -> dict:
    """COWS answers with a resting pulse; items 2-11 are 0 unless given (item_3=5, ...)."""
    answers = {f"item_{n}": 0 for n in range(2, 12)}
    answers.update(items)
    answers["resting_pulse_bpm"] = pulse
    return answers


def submit_assessment(patient, user, instrument="phq9", answers=None, **kwargs):
    """An assessment submitted through the service, as the API would."""
    from assessments.services.assessment import assessment_submit

    if answers is None:
        answers = phq9_answers() if instrument == "phq9" else {}
    kwargs.setdefault("setting", "intake")
    return assessment_submit(
        patient=patient, instrument_code=instrument, answers=answers, user=user, **kwargs
    )
