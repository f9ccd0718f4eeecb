"""No Docker engine runs here, so the compose file is checked by reading it."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _settings_variables() -> set[str]:
    source = (ROOT / "clinic" / "settings.py").read_text()
    return set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z][A-Z0-9_]+)"', source))


def test_compose_has_db_and_web_services():
    compose = _compose()
    assert set(compose["services"]) == {"db", "web"}
    assert "name" not in compose  # compose v1 rejects a top-level name


def test_db_is_postgres_16_with_a_named_volume_and_healthcheck():
    db = _compose()["services"]["db"]
    assert db["image"] == "postgres:16"
    volume, _, mount = db["volumes"][0].partition(":")
    assert mount == "/var/lib/postgresql/data"
    assert volume in _compose()["volumes"]
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])


def test_web_builds_migrates_runs_gunicorn_and_waits_for_a_healthy_db():
    web = _compose()["services"]["web"]
    assert web["build"] == "."
    assert web["env_file"] == ".env"
    assert web["depends_on"]["db"]["condition"] == "service_healthy"
    assert "migrate" in web["command"] and "gunicorn" in web["command"]
    assert "/readyz" in " ".join(web["healthcheck"]["test"])


def test_compose_and_env_example_name_only_variables_settings_read():
    known = _settings_variables()
    assert {"DATABASE_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "TIME_ZONE"} <= known
    web_env = set(_compose()["services"]["web"]["environment"])
    assert web_env <= known
    example = (ROOT / ".env.example").read_text()
    names = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, flags=re.M))
    assert names <= known, names - known


def test_dockerfile_runs_as_non_root_and_serves_with_gunicorn():
    text = (ROOT / "Dockerfile").read_text()
    assert "USER clinic" in text
    assert "gunicorn" in text
    assert "requirements.txt" in text
