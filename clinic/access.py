"""Who may see and do what: the one place that answers it, for the API and the admin alike.

The permission matrix below is the source of truth; `docs/permissions.md` is rendered from it
(`manage.py permissions_matrix`) and a test fails when the two drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from django.db.models import Q, QuerySet


class Role:
    FRONT_DESK: Final = "front_desk"
    CLINICIAN: Final = "clinician"
    MEDICAL_STAFF: Final = "medical_staff"
    CLINIC_ADMIN: Final = "clinic_admin"
    INTEGRATION: Final = "integration"


# Role code -> Django group name (groups are created by a data migration).
ROLE_GROUPS: Final[dict[str, str]] = {
    Role.FRONT_DESK: "Front desk",
    Role.CLINICIAN: "Clinician",
    Role.MEDICAL_STAFF: "Medical staff",
    Role.CLINIC_ADMIN: "Clinic admin",
    Role.INTEGRATION: "Integration",
}
GROUP_ROLES: Final = {name: code for code, name in ROLE_GROUPS.items()}

ACTIONS: Final = ("view", "add", "change", "archive")
_LETTERS: Final = {"v": "view", "a": "add", "c": "change", "x": "archive"}

# Record types with a short description, in the order the matrix is documented.
RECORD_TYPES: Final[dict[str, str]] = {
    "site": "Clinic locations",
    "staff": "Staff profiles and their sites",
    "api_token": "Integration API tokens",
    "audit_event": "Audit trail (append-only)",
    "patient": "Patient identity, contact, status, care team",
    "patient_contact": "Emergency contacts",
    "coverage": "Insurance coverage",
    "consent": "Consents, including 42 CFR Part 2 disclosure consents",
    "appointment": "Appointments and check-in",
    "assessment": "Instrument responses and scores",
    "substance_history": "Substance-use history (the kratom intake)",
    "diagnosis": "Diagnoses and problem list",
    "level_of_care": "ASAM level-of-care determinations",
    "alert": "Clinical alerts",
    "treatment_plan": "Treatment plans, goals, objectives, interventions, reviews",
    "session_note": "Sessions and progress notes",
    "counselling_note": "Part 2 counselling notes (kept apart, own access rule)",
    "taper": "Taper schedules and dose logs",
    "vitals": "Vital signs",
    "lab_result": "Lab results",
    "drug_screen": "Urine drug screens",
    "medication": "Medications",
    "discharge": "Discharge summaries and outcomes",
}

# role -> record type -> letters (v view, a add, c change, x archive). Absent means no access.
_MATRIX: Final[dict[str, dict[str, str]]] = {
    Role.FRONT_DESK: {
        "site": "v",
        "patient": "vac",
        "patient_contact": "vacx",
        "coverage": "vacx",
        "consent": "vac",
        "appointment": "vac",
    },
    Role.CLINICIAN: {
        "site": "v",
        "staff": "v",
        "patient": "vc",
        "patient_contact": "v",
        "coverage": "v",
        "consent": "vac",
        "appointment": "vac",
        "assessment": "va",
        "substance_history": "vac",
        "diagnosis": "vac",
        "level_of_care": "vac",
        "alert": "vc",
        "treatment_plan": "vac",
        "session_note": "vac",
        "counselling_note": "vac",
        "taper": "vac",
        "vitals": "v",
        "lab_result": "v",
        "drug_screen": "v",
        "medication": "v",
        "discharge": "vac",
    },
    Role.MEDICAL_STAFF: {
        "site": "v",
        "staff": "v",
        "patient": "v",
        "patient_contact": "v",
        "consent": "v",
        "appointment": "vac",
        "assessment": "va",
        "substance_history": "v",
        "diagnosis": "v",
        "level_of_care": "v",
        "alert": "vc",
        "treatment_plan": "v",
        "session_note": "va",
        "taper": "vac",
        "vitals": "vac",
        "lab_result": "vac",
        "drug_screen": "vac",
        "medication": "vac",
        "discharge": "v",
    },
    Role.CLINIC_ADMIN: {
        "site": "vac",
        "staff": "vac",
        "api_token": "vac",
        "audit_event": "v",
        "patient": "vacx",
        "patient_contact": "vacx",
        "coverage": "vacx",
        "consent": "vac",
        "appointment": "vac",
        "assessment": "v",
        "substance_history": "v",
        "diagnosis": "v",
        "level_of_care": "v",
        "alert": "v",
        "treatment_plan": "v",
        "session_note": "v",
        "taper": "v",
        "vitals": "v",
        "lab_result": "v",
        "drug_screen": "v",
        "medication": "v",
        "discharge": "v",
    },
    Role.INTEGRATION: {
        "patient": "vac",
        "patient_contact": "v",
        "coverage": "vac",
        "consent": "v",
        "appointment": "vac",
        "assessment": "va",
        "vitals": "va",
        "lab_result": "va",
        "drug_screen": "va",
        "medication": "v",
    },
}

PERMISSIONS: Final[dict[str, dict[str, frozenset[str]]]] = {
    role: {rt: frozenset(_LETTERS[ch] for ch in letters) for rt, letters in table.items()}
    for role, table in _MATRIX.items()
}
# Roles that work with clinical records; the admin hides clinical apps from everyone else.
CLINICAL_ROLES: Final = frozenset({Role.CLINICIAN, Role.MEDICAL_STAFF})
# Roles that may see patients at every site of the organisation.
ALL_SITES_ROLES: Final = frozenset({Role.CLINIC_ADMIN})


def allowed(role: str, record_type: str, action: str) -> bool:
    """The matrix itself, with no user: used by the docs renderer and the matrix tests."""
    if record_type not in RECORD_TYPES:
        raise KeyError(f"unknown record type {record_type!r}")
    if action not in ACTIONS:
        raise KeyError(f"unknown action {action!r}")
    return action in PERMISSIONS.get(role, {}).get(record_type, frozenset())


# --- Users ---------------------------------------------------------------------------------------


def user_roles(user) -> frozenset[str]:
    """The user's roles, from group membership; cached on the user object for the request."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, "_clinic_roles", None)
    if cached is None:
        names = user.groups.values_list("name", flat=True)
        roles = {GROUP_ROLES[n] for n in names if n in GROUP_ROLES}
        if user.is_superuser:
            roles.add(Role.CLINIC_ADMIN)
        cached = frozenset(roles)
        user._clinic_roles = cached
    return cached


def can(user, record_type: str, action: str, *, token=None) -> bool:
    """May this user (through this token, if any) do `action` on records of `record_type`?"""
    if token is not None and action != "view" and not token.can_write:
        return False
    return any(allowed(role, record_type, action) for role in user_roles(user))


def can_any(user, record_type: str) -> bool:
    return any(can(user, record_type, a) for a in ACTIONS)


class _AllSites:
    """Sentinel for users whose scope is every site of the organisation."""

    def __repr__(self) -> str:
        return "ALL_SITES"


ALL_SITES: Final = _AllSites()


def visible_site_ids(user, *, token=None) -> frozenset[int] | _AllSites:
    """Sites whose patients this user may see. A token narrows the scope to its own sites."""
    if token is not None:
        cached = getattr(token, "_clinic_site_ids", None)
        if cached is None:
            cached = frozenset(token.sites.values_list("id", flat=True))
            token._clinic_site_ids = cached
        return cached
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    if user_roles(user) & ALL_SITES_ROLES:
        return ALL_SITES
    cached = getattr(user, "_clinic_site_ids", None)
    if cached is None:
        from clinic.models import Site

        cached = frozenset(
            Site.objects.filter(staff__user=user, is_active=True).values_list("id", flat=True)
        )
        user._clinic_site_ids = cached
    return cached


def scope_queryset(qs: QuerySet, user, site_path: str, *, token=None) -> QuerySet:
    """Limit `qs` to rows whose site (reached through `site_path`) the user may see."""
    site_ids = visible_site_ids(user, token=token)
    if site_ids is ALL_SITES:
        return qs
    if not site_ids:
        return qs.none()
    return qs.filter(Q(**{f"{site_path}__in": site_ids}))


def sites_for_request(request) -> frozenset[int] | _AllSites:
    return visible_site_ids(request.user, token=getattr(request, "auth", None) or None)


def render_matrix_markdown(roles: Iterable[str] = tuple(ROLE_GROUPS)) -> str:
    """The permission matrix as a Markdown table (docs/permissions.md embeds exactly this)."""
    roles = list(roles)
    header = "| record type | " + " | ".join(ROLE_GROUPS[r] for r in roles) + " |"
    lines = [header, "|---|" + "---|" * len(roles)]
    for rt, description in RECORD_TYPES.items():
        cells = []
        for role in roles:
            acts = [a for a in ACTIONS if allowed(role, rt, a)]
            cells.append(", ".join(acts) if acts else "—")
        lines.append(f"| `{rt}` ({description}) | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
