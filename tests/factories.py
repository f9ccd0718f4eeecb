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


# --- Treatment plans -----------------------------------------------------------------------------


def draft_plan(patient, user, *, level_of_care="1", start_date=None):
    """An empty draft plan, created through the service."""
    from treatment.services.plan import plan_create

    return plan_create(
        patient=patient, user=user, level_of_care=level_of_care, start_date=start_date
    )


def signable_plan(
    patient,
    user,
    *,
    staff=None,
    level_of_care="1",
    start_date=None,
    problems=1,
    objectives=1,
    interventions=1,
):
    """A draft with everything a signature needs: problems with strengths, a goal in the
    patient's words each, measurable objectives with target dates, interventions with
    responsible staff serving every objective."""
    from treatment.services import plan as services

    plan = draft_plan(patient, user, level_of_care=level_of_care, start_date=start_date)
    made = []
    for _ in range(problems):
        problem = services.problem_add(
            plan=plan, user=user, description=fake.sentence(), strengths=fake.sentence()
        )
        goal = services.goal_add(problem=problem, user=user, patient_words=fake.sentence())
        for _ in range(objectives):
            made.append(
                services.objective_add(
                    goal=goal,
                    user=user,
                    description=fake.sentence(),
                    measure="PHQ-9 total below 10",
                    target_date=plan.start_date + dt.timedelta(days=60),
                )
            )
    for _ in range(interventions):
        services.intervention_add(
            plan=plan,
            user=user,
            intervention_type="cbt",
            responsible_staff=staff or user,
            objectives=made,
        )
    return plan


def active_plan(patient, user, **kwargs):
    """A signed, active plan (the clinic requiring no co-signature)."""
    from treatment.services.plan import plan_sign

    plan = signable_plan(patient, user, **kwargs)
    plan_sign(plan=plan, user=user)
    plan.refresh_from_db()
    return plan
