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


# --- Intake records (substance history, diagnosis, level of care) -------------------------------


def substance_history_data(**overrides) -> dict:
    """A complete, valid kratom intake as the API takes it (JSON-ready values)."""
    data = {
        "reasons_for_use": ["pain", "energy_work"],
        "withdrawal_symptoms": ["aches", "insomnia"],
        "withdrawal_seizures": "no",
        "withdrawal_hospitalised": "no",
        "liver_disease": "no",
        "hypertension": "unknown",
        "pregnancy_status": "not_applicable",
        "employment": "full_time",
        "housing": "stable",
        "relationship": "married",
        "legal": "none",
        "goal": "stop",
        "goal_in_own_words": fake.sentence(),
        "products": [
            {
                "form": "leaf_powder",
                "amount": "3.00",
                "unit": "g",
                "doses_per_day": "3.0",
                "years_of_use": "1.5",
                "age_at_first_use": 18,
                "route": "oral",
            }
        ],
        "other_substances": [{"substance": "alcohol", "frequency": "monthly"}],
        "prior_treatments": [],
        "medications": [{"name": "Lisinopril", "dose": "10 mg daily", "qt_prolonging": False}],
        "allergies": [{"substance": "Penicillin", "reaction": "Rash", "severity": "mild"}],
    }
    data.update(overrides)
    return data


def _service_values(data: dict) -> dict:
    """API-shaped values converted to the Python types the services take."""
    import decimal

    from django.utils.dateparse import parse_date, parse_datetime

    decimals = {"amount", "mg_per_unit", "doses_per_day", "years_of_use"}
    datetimes = {"last_use_at"}
    dates = {"last_use_on", "start_date", "end_date"}

    def convert(key, value):
        if value is None:
            return None
        if key in decimals:
            return decimal.Decimal(value)
        if key in datetimes and isinstance(value, str):
            return parse_datetime(value)
        if key in dates and isinstance(value, str):
            return parse_date(value)
        return value

    out = {}
    for key, value in data.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            out[key] = [{k: convert(k, v) for k, v in row.items()} for row in value]
        else:
            out[key] = convert(key, value)
    return out


def record_substance_history(patient, user, **overrides):
    from assessments.services.history import substance_history_record

    data = _service_values(substance_history_data(**overrides))
    return substance_history_record(patient=patient, user=user, data=data)


def confirm_diagnosis(patient, user, **overrides):
    from assessments.services.diagnosis import diagnosis_confirm

    values = {"criteria_met": [1, 2, 3, 4, 5]}
    values.update(overrides)
    return diagnosis_confirm(patient=patient, user=user, **values)


def level_of_care_data(edition: str = "3", **overrides) -> dict:
    data = {
        "edition": edition,
        "ratings": [
            {"dimension": f"d{n}", "rating": r, "rationale": fake.sentence()}
            for n, r in zip(range(1, 7), [2, 1, 1, 3, 3, 2], strict=True)
        ],
        "indicated_level": "2.1",
        "provided_level": "2.1",
        "difference_reason": "",
        "difference_note": "",
    }
    data.update(overrides)
    return data


def record_level_of_care(patient, user, **overrides):
    from assessments.services.level_of_care import level_of_care_record

    return level_of_care_record(patient=patient, user=user, **level_of_care_data(**overrides))


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
