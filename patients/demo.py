"""Fake demo people for trying the product. Seeded, so every demo database looks alike."""

from faker import Faker

from patients.choices import US_STATES
from patients.models import Patient

# Demo patients move along the lifecycle so every work queue has something in it.
_STATUS_PATHS = [
    [],
    ["intake_scheduled"],
    ["intake_in_progress"],
    ["intake_in_progress", "active"],
    ["intake_in_progress", "active"],
    ["intake_in_progress", "active", "discharged"],
]


def create_demo_patients(*, site, wanted: int, user=None) -> int:
    """Top the demo site up to `wanted` patients; a second run adds nothing."""
    from patients.services.patient import patient_register, patient_transition

    existing = Patient.objects.filter(site=site).count()
    fake = Faker("en_US")
    fake.seed_instance(2026 + existing)
    added = 0
    for n in range(existing, wanted):
        sex = fake.random_element(["female", "male"])
        first = fake.first_name_female() if sex == "female" else fake.first_name_male()
        patient = patient_register(
            site=site,
            created_by=user,
            confirm_not_duplicate=True,
            first_name=first,
            last_name=fake.last_name(),
            middle_name=fake.random_element(["", "", fake.first_name()]),
            date_of_birth=fake.date_of_birth(minimum_age=18, maximum_age=75),
            sex_at_birth=sex,
            phone_mobile=f"312-555-{n % 10000:04d}",
            email=f"demo.patient{n}@example.org",
            address_line1=fake.street_address(),
            city=fake.city(),
            state=fake.random_element([code for code, _ in US_STATES[:51]]),
            postal_code=fake.zipcode(),
            referral_source=fake.random_element(Patient.ReferralSource.values),
        )
        for status in _STATUS_PATHS[n % len(_STATUS_PATHS)]:
            reason = "completed" if status == "discharged" else ""
            patient = patient_transition(
                patient=patient, to_status=status, user=user, reason=reason
            )
        added += 1
    return added
