"""Fake demo people for trying the product. Seeded, so every demo database looks alike."""

from faker import Faker

from patients.models import Patient


def create_demo_patients(*, site, wanted: int) -> int:
    """Top the demo site up to `wanted` patients; a second run adds nothing."""
    from patients.services.patient import patient_register

    existing = Patient.objects.filter(site=site).count()
    fake = Faker("en_US")
    fake.seed_instance(2026 + existing)
    added = 0
    for _ in range(max(0, wanted - existing)):
        patient_register(
            site=site,
            first_name=fake.first_name(),
            last_name=fake.last_name(),
            middle_name=fake.random_element(["", "", fake.first_name()]),
            date_of_birth=fake.date_of_birth(minimum_age=18, maximum_age=75),
        )
        added += 1
    return added
