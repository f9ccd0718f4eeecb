"""Pure checks and normalisations for patient demographics (no database)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils import timezone

MAX_AGE_YEARS = 120


def validate_date_of_birth(value: dt.date | None, *, today: dt.date | None = None) -> None:
    """Not in the future and not more than 120 years ago. Messages never echo the date."""
    if value is None:
        return
    today = today or timezone.localdate()
    if value > today:
        raise ValidationError({"date_of_birth": ["Date of birth cannot be in the future."]})
    try:
        oldest = today.replace(year=today.year - MAX_AGE_YEARS)
    except ValueError:  # 29 February
        oldest = today.replace(year=today.year - MAX_AGE_YEARS, day=28)
    if value < oldest:
        raise ValidationError(
            {"date_of_birth": [f"Date of birth cannot be more than {MAX_AGE_YEARS} years ago."]}
        )


def normalize_phone(raw: str, *, field: str = "phone", region: str = "US") -> str:
    """Parse a phone number and return it in E.164, or raise a field error that omits the number."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise ValidationError({field: ["Enter a valid phone number."]}) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError({field: ["Enter a valid phone number."]})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_PUNCT = re.compile(r"[^a-z0-9 ]+")
_SPACES = re.compile(r"\s+")


def normalize_name(value: str) -> str:
    """Lower-case, accents and punctuation removed, hyphens as spaces: 'José O'Neil-Díaz' ->
    'jose oneil diaz'. Used for search and duplicate matching so both ignore such differences."""
    text = unicodedata.normalize("NFKD", value or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = text.replace("-", " ").replace("'", "").replace("\u2019", "")
    text = _PUNCT.sub("", text)
    return _SPACES.sub(" ", text).strip()


def search_name_for(*parts: str) -> str:
    return " ".join(p for p in (normalize_name(x) for x in parts) if p)
