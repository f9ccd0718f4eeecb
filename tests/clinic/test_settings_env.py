"""Settings come from the environment and fail early, and clearly, when they are wrong."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "k8Jx2-prod-like-secret-" + "Zq7" * 20,
    "ALLOWED_HOSTS": "clinic.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://clinic.example.org",
    "DATABASE_URL": "sqlite:///" + str(ROOT / "var" / "deploy-check.sqlite3"),
}


def run_manage(*args, env_overrides: dict) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL"}}
    env.update(env_overrides)
    env["DJANGO_SETTINGS_MODULE"] = "clinic.settings"
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_refuses_to_start_without_secret_key_when_debug_is_off():
    result = run_manage("check", env_overrides={"DEBUG": "false"})
    assert result.returncode != 0
    assert "SECRET_KEY is required when DEBUG is off" in result.stderr


def test_it_starts_with_a_development_key_when_debug_is_on():
    result = run_manage("check", env_overrides={"DEBUG": "true"})
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://root@localhost/clinic", "unsupported scheme 'mysql'"),
        ("not a url", "unsupported scheme ''"),
        ("postgres://postgres@127.0.0.1:5432/", "names no database"),
    ],
)
def test_it_rejects_a_bad_database_url_with_a_clear_error(url, message):
    result = run_manage("check", env_overrides={"DEBUG": "true", "DATABASE_URL": url})
    assert result.returncode != 0
    assert message in result.stderr


def test_check_deploy_prints_no_warnings_with_production_variables():
    result = run_manage("check", "--deploy", env_overrides=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNINGS" not in result.stderr + result.stdout


def test_check_deploy_warns_when_debug_is_on():
    env = dict(PRODUCTION_ENV, DEBUG="true")
    result = run_manage("check", "--deploy", env_overrides=env)
    assert "security.W018" in result.stderr + result.stdout


def test_postgres_connections_are_persistent_with_health_checks():
    from clinic.settings import _database_from_url

    config = _database_from_url("postgres://postgres@127.0.0.1:5432/clinic")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert config["CONN_MAX_AGE"] == 60
    assert config["CONN_HEALTH_CHECKS"] is True


def test_time_is_stored_in_utc(settings):
    assert settings.USE_TZ is True
    assert settings.TIME_ZONE  # display zone; storage is UTC with USE_TZ


def test_passwords_are_hashed_with_argon2id_in_production_settings():
    from django.contrib.auth.hashers import check_password, make_password
    from django.test import override_settings

    from clinic import settings as production

    with override_settings(PASSWORD_HASHERS=production.PASSWORD_HASHERS):
        encoded = make_password("correct horse battery staple")
        assert encoded.startswith("argon2$argon2id$")
        assert check_password("correct horse battery staple", encoded)
        assert not check_password("wrong", encoded)
