"""Likely-duplicate detection at registration and on demographic edits.

A candidate is a patient with the same date of birth and a similar name (case, accent, hyphen,
nickname and one-typo insensitive; on PostgreSQL also pg_trgm similarity), or the same phone or
email. The answer shows only MRN, name, date of birth and site: enough for front desk to decide.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.db import connection
from django.db.models import Q

from patients.models import Patient
from patients.validation import normalize_name

TRIGRAM_THRESHOLD = 0.45
_NICKNAMES = Path(__file__).parent / "data" / "nicknames.txt"


@cache
def _nickname_groups() -> dict[str, frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for line in _NICKNAMES.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        names = set(line.split())
        for name in names:
            groups.setdefault(name, set()).update(names)
    return {k: frozenset(v) for k, v in groups.items()}


def names_equivalent(a: str, b: str) -> bool:
    """Same given name up to nicknames, one typo (incl. a transposition) or a shared prefix."""
    a, b = normalize_name(a), normalize_name(b)
    if not a or not b:
        return False
    if a == b or b in _nickname_groups().get(a, ()):
        return True
    if min(len(a), len(b)) >= 4 and damerau_levenshtein(a, b) <= 1:
        return True
    return bool(min(len(a), len(b)) >= 3 and (a.startswith(b) or b.startswith(a)))


def surnames_equivalent(a: str, b: str) -> bool:
    """Same family name up to accents/hyphens, one typo, or one part of a double-barrelled name."""
    a, b = normalize_name(a), normalize_name(b)
    if not a or not b:
        return False
    if a.replace(" ", "") == b.replace(" ", ""):
        return True
    if set(a.split()) & set(b.split()):
        return True
    limit = 1 if max(len(a), len(b)) < 8 else 2
    return damerau_levenshtein(a, b) <= limit


def damerau_levenshtein(a: str, b: str) -> int:
    """Optimal string alignment distance: a swap of two neighbours costs one edit."""
    rows = len(a) + 1
    cols = len(b) + 1
    d = [[0] * cols for _ in range(rows)]
    for i in range(rows):
        d[i][0] = i
    for j in range(cols):
        d[0][j] = j
    for i in range(1, rows):
        for j in range(1, cols):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


@dataclass(frozen=True)
class Candidate:
    patient: Patient
    reasons: tuple[str, ...]

    def public(self) -> dict:
        """What the front desk (and a 409 answer) may show: nothing more than this."""
        p = self.patient
        return {
            "id": str(p.pk),
            "mrn": p.mrn,
            "name": f"{p.last_name}, {p.first_name}",
            "date_of_birth": p.date_of_birth.isoformat(),
            "site": p.site.code,
            "reasons": list(self.reasons),
        }


def find_duplicates(
    *,
    first_name: str,
    last_name: str,
    date_of_birth: dt.date | None,
    phones: tuple[str, ...] = (),
    email: str = "",
    exclude_id=None,
    limit: int = 10,
) -> list[Candidate]:
    """Likely duplicates across the whole organisation (a duplicate at another site still matters).

    Reads at most three indexed queries: same date of birth, same phone, same email.
    """
    found: dict[object, set[str]] = {}
    base = Patient.objects.active().select_related("site")
    if exclude_id is not None:
        base = base.exclude(pk=exclude_id)

    if date_of_birth is not None:
        same_dob = base.filter(date_of_birth=date_of_birth)
        wanted = f"{normalize_name(first_name)} {normalize_name(last_name)}".strip()
        if connection.vendor == "postgresql" and wanted:
            from django.contrib.postgres.search import TrigramSimilarity

            same_dob = same_dob.annotate(similarity=TrigramSimilarity("search_name", wanted))
        for p in same_dob[:200]:
            first_ok = names_equivalent(first_name, p.first_name) or (
                p.preferred_name and names_equivalent(first_name, p.preferred_name)
            )
            last_ok = surnames_equivalent(last_name, p.last_name)
            swapped = names_equivalent(first_name, p.last_name) and surnames_equivalent(
                last_name, p.first_name
            )
            similar = getattr(p, "similarity", 0) >= TRIGRAM_THRESHOLD
            if (first_ok and last_ok) or swapped or similar:
                found.setdefault(p, set()).add("same date of birth, similar name")

    phones = tuple(p for p in phones if p)
    if phones:
        for p in base.filter(Q(phone_mobile__in=phones) | Q(phone_home__in=phones))[:limit]:
            found.setdefault(p, set()).add("same phone")
    if email:
        for p in base.filter(email=email.strip().lower())[:limit]:
            found.setdefault(p, set()).add("same email")

    ranked = sorted(found.items(), key=lambda kv: (-len(kv[1]), kv[0].mrn))
    return [Candidate(patient=p, reasons=tuple(sorted(r))) for p, r in ranked[:limit]]
