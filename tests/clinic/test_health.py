"""Liveness and readiness, with the queries they cost."""


def test_healthz_says_ok_without_touching_the_database(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_checks_database_and_migrations(client, db, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "migrations": "ok"}}
    assert response["Cache-Control"].startswith("max-age=0")


def test_readyz_reports_pending_migrations(client, db, monkeypatch):
    from django.db.migrations.executor import MigrationExecutor

    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: [("x", False)])
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == "1 pending"


def test_health_endpoints_only_answer_get(client, db):
    assert client.post("/healthz").status_code == 405
