"""MRN allocation never hands out the same number twice, even under concurrent registration."""

import threading

import pytest
from django.db import connection

from clinic.models import Site
from patients.models import Patient
from patients.services.patient import patient_register


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_registrations_get_distinct_consecutive_mrns():
    site = Site.objects.create(name="Race Clinic", code="RACE")
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def register(n: int) -> None:
        try:
            barrier.wait(timeout=10)
            patient_register(
                site=site,
                first_name=f"Thread{n}",
                last_name=f"Runner{n}x",
                date_of_birth=f"19{60 + n}-01-0{1 + n % 9}",
                confirm_not_duplicate=True,
            )
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=register, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    mrns = sorted(Patient.objects.filter(site=site).values_list("mrn", flat=True))
    assert mrns == [f"RACE-{n:06d}" for n in range(1, 9)]
