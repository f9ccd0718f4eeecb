"""`make run` loads a demo site, one account per role and about 50 fake patients, idempotently."""

from django.contrib.auth.models import User
from django.core.management import call_command

from clinic import access
from patients.models import Patient


def test_setup_demo_is_idempotent_and_creates_one_account_per_role(db, settings, capsys):
    settings.USING_EMBEDDED_DATABASE = True
    call_command("setup_demo", patients=12)
    first = capsys.readouterr().out
    assert "demo-password-2026" in first
    call_command("setup_demo", patients=12)
    assert Patient.objects.filter(site__code="DEMO").count() == 12
    roles = {next(iter(access.user_roles(u))) for u in User.objects.all()}
    assert roles == set(access.ROLE_GROUPS)
    assert not User.objects.get(username="integration").is_staff


def test_setup_demo_hides_credentials_on_a_real_database(db, settings, capsys):
    settings.USING_EMBEDDED_DATABASE = False
    call_command("setup_demo", patients=1)
    out = capsys.readouterr().out
    assert "demo-password-2026" not in out
    assert "hidden" in out


def test_setup_demo_prints_random_credentials_when_asked(db, settings, capsys):
    settings.USING_EMBEDDED_DATABASE = False
    call_command("setup_demo", patients=1, show_credentials=True)
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if "clinician" in x and "Clinician" in x)
    password = line.split()[-1]
    assert User.objects.get(username="clinician").check_password(password)
