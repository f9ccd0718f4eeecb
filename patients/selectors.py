"""Reads of the patient record that the API and the admin share."""

from __future__ import annotations

import datetime as dt
import re

from django.db import connection
from django.db.models import Q, QuerySet

from patients.validation import normalize_name, normalize_phone

_MRN = re.compile(r"^[A-Za-z0-9]{2,8}-\d{1,6}$")
_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m-%d-%Y")
TRIGRAM_WORD_THRESHOLD = 0.5


def _as_date(text: str) -> dt.date | None:
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _as_phone(text: str) -> str:
    digits = re.sub(r"\D", "", text)
    if len(digits) < 10 or re.search(r"[A-Za-z]", text):
        return ""
    try:
        return normalize_phone(text)
    except Exception:
        return ""


def search_patients(qs: QuerySet, query: str) -> QuerySet:
    """Find patients by MRN, date of birth, phone, email or name.

    Names are matched accent-, case- and hyphen-insensitively on the normalised `search_name`;
    on PostgreSQL also typo-tolerantly with pg_trgm word similarity, served by a GIN index.
    """
    query = (query or "").strip()
    if not query:
        return qs
    if _MRN.match(query):
        return qs.filter(mrn=query.upper())
    if (day := _as_date(query)) is not None:
        return qs.filter(date_of_birth=day)
    if "@" in query:
        return qs.filter(email=query.lower())
    if phone := _as_phone(query):
        return qs.filter(Q(phone_mobile=phone) | Q(phone_home=phone))
    name = normalize_name(query)
    if not name:
        return qs.none()
    if connection.vendor == "postgresql":
        # Every word must appear, exactly or with a typo (word similarity via the GIN index).
        condition = Q()
        for word in name.split():
            condition &= Q(search_name__contains=word) | Q(search_name__trigram_word_similar=word)
        return qs.filter(condition)
    condition = Q()
    for word in name.split():
        condition &= Q(search_name__contains=word)
    return qs.filter(condition)
