"""The published instrument definitions: the library's own, with a clinic's licensed wording.

A clinic holding a licence names a JSON wording file in the setting
``INSTRUMENT_DISPLAY_TEXT_FILE`` (shape: ``{"<instrument code>": {"<item code>": "wording",
"<item code>:<value>": "wording"}}``). The file is read once per process; a bad file is reported
by the system check ``assessments.E001`` at start-up rather than at the first request.
"""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings

from assessments.instruments import (
    UnknownInstrument,
    all_instruments,
    apply_display_text,
    get_instrument,
    load_display_text,
)
from assessments.recorded_results import CSSRS_RECORDED, cssrs_definition


@functools.lru_cache(maxsize=4)
def _load(path: str) -> dict[str, dict[str, str]]:
    return load_display_text(path)


def display_text_overrides() -> dict[str, dict[str, str]]:
    path = getattr(settings, "INSTRUMENT_DISPLAY_TEXT_FILE", None)
    return _load(str(path)) if path else {}


def _instrument_dict(code: str) -> dict[str, Any]:
    if code == CSSRS_RECORDED:
        return cssrs_definition()
    data = get_instrument(code).to_dict()
    return {"code": data.pop("code"), "kind": "instrument", **data}


def published_definition(code: str) -> dict[str, Any]:
    """One definition as the API publishes it; raises UnknownInstrument."""
    if code != CSSRS_RECORDED:
        get_instrument(code)
    data = _instrument_dict(code)
    overrides = display_text_overrides().get(code)
    return apply_display_text(data, overrides) if overrides else data


def published_definitions() -> list[dict[str, Any]]:
    codes = [d.code for d in all_instruments()] + [CSSRS_RECORDED]
    return [published_definition(code) for code in codes]


def check_display_text() -> list[str]:
    """Problems with the configured wording file (empty when there is none or it is fine)."""
    path = getattr(settings, "INSTRUMENT_DISPLAY_TEXT_FILE", None)
    if not path:
        return []
    try:
        overrides = load_display_text(path)
    except (OSError, ValueError) as exc:
        return [f"INSTRUMENT_DISPLAY_TEXT_FILE cannot be read: {type(exc).__name__}: {exc}"]
    problems = []
    for code, texts in overrides.items():
        try:
            data = _instrument_dict(code)
        except UnknownInstrument:
            problems.append(f"INSTRUMENT_DISPLAY_TEXT_FILE names an unknown instrument {code!r}.")
            continue
        try:
            apply_display_text(data, texts)
        except ValueError as exc:
            problems.append(str(exc))
    return problems
