"""Logs are JSON lines with request context and never carry names, birth dates or free text."""

import io
import json
import logging

import pytest

from clinic.logging import JsonFormatter, RequestContextFilter


@pytest.fixture
def captured_log():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield stream
    root.removeHandler(handler)


def test_request_log_line_has_context_and_no_patient_data(captured_log, front_desk, api_as, site_a):
    client = api_as(front_desk)
    created = client.post(
        "/api/v1/patients/",
        {
            "site": "SITEA",
            "first_name": "Philomena",
            "last_name": "Quattlebaum",
            "date_of_birth": "1977-03-09",
        },
        format="json",
    )
    assert created.status_code == 201
    client.get("/api/v1/patients/?search=Quattlebaum")
    client.post(
        "/api/v1/patients/",
        {
            "site": "SITEA",
            "first_name": "Philomena",
            "last_name": "",
            "date_of_birth": "1977-13-09",
        },
        format="json",
    )
    client.get(f"/api/v1/patients/{created.json()['id']}/")

    text = captured_log.getvalue()
    for secret in ("Philomena", "Quattlebaum", "1977-03-09", "1977-13-09"):
        assert secret not in text
    lines = [json.loads(line) for line in text.splitlines()]
    requests = [line for line in lines if line["message"] == "request"]
    assert len(requests) == 4
    first = requests[0]
    assert first["method"] == "POST"
    assert first["path"] == "/api/v1/patients/"
    assert first["status"] == 201
    assert first["user_id"] == front_desk.pk
    assert len(first["request_id"]) == 32
    assert isinstance(first["duration_ms"], float)
    assert requests[1]["path"] == "/api/v1/patients/"  # query string dropped


def test_exception_messages_are_not_logged_only_their_type():
    formatter = JsonFormatter()
    surname = "Quattle" + "baum"  # built at run time so the stack's source lines do not hold it
    try:
        raise ValueError(f"Key (last_name)=({surname}) already exists")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    line = json.loads(formatter.format(record))
    assert line["exc_type"] == "builtins.ValueError"
    assert "Quattlebaum" not in json.dumps(line)


def test_unknown_extra_fields_are_dropped():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "event", (), None)
    record.note_text = "patient said something private"
    record.status = 200
    line = json.loads(JsonFormatter().format(record))
    assert "note_text" not in line
    assert line["status"] == 200
