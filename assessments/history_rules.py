"""The substance-use intake's vocabulary and validation rules, kept pure (no Django, no database).

Models take their choices from here and call these checks from ``clean()``, so the API, the admin
and any import path enforce one set of rules. Each check returns ``{field: [messages]}`` (empty
when valid) so a caller can prefix keys with the row they came from (``products[1].unit``).

Why units are per form (clinical reference, section 4): extracts and 7-OH products are far more
potent than leaf, so a bare number is meaningless. Leaf powder is weighed in grams; capsules,
shots and tablets are counted, with the milligrams per unit where known.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Final

Errors = dict[str, list[str]]

# --- Kratom products ---------------------------------------------------------------------------

LEAF_POWDER: Final = "leaf_powder"
CAPSULES: Final = "capsules"
EXTRACT_SHOT: Final = "extract_shot"
SEVEN_OH: Final = "concentrated_7oh"
OTHER: Final = "other"

PRODUCT_FORMS: Final[dict[str, str]] = {
    LEAF_POWDER: "Leaf powder",
    CAPSULES: "Capsules",
    EXTRACT_SHOT: "Liquid extract or shots",
    SEVEN_OH: "Concentrated 7-OH product",
    OTHER: "Other",
}

GRAMS: Final = "g"
MILLIGRAMS: Final = "mg"
COUNT: Final = "count"
UNITS: Final[dict[str, str]] = {
    GRAMS: "grams of leaf",
    MILLIGRAMS: "milligrams",
    COUNT: "count (capsules, shots or tablets)",
}

# Which units each product form may be recorded in.
ALLOWED_UNITS: Final[dict[str, frozenset[str]]] = {
    LEAF_POWDER: frozenset({GRAMS}),
    CAPSULES: frozenset({COUNT}),
    EXTRACT_SHOT: frozenset({COUNT}),
    SEVEN_OH: frozenset({MILLIGRAMS, COUNT}),
    OTHER: frozenset({GRAMS, MILLIGRAMS, COUNT}),
}

CAPSULE_LEAF: Final = "leaf_powder"
CAPSULE_CONTENTS: Final[dict[str, str]] = {
    CAPSULE_LEAF: "Leaf powder",
    "extract": "Extract",
    "unknown": "Not known",
}

ROUTES: Final[dict[str, str]] = {"oral": "Oral", "other": "Other"}

MAX_DOSES_PER_DAY: Final = Decimal(48)
# Entered times may run a few minutes ahead of the server clock without being "in the future".
CLOCK_SKEW: Final = dt.timedelta(minutes=5)

# --- Multi-choice answers ------------------------------------------------------------------------

REASONS_FOR_USE: Final[dict[str, str]] = {
    "pain": "Pain",
    "mood_anxiety": "Mood or anxiety",
    "energy_work": "Energy or work",
    "opioid_withdrawal": "Self-treating opioid withdrawal",
    "recreation": "Recreation",
    "other": "Other",
}

WITHDRAWAL_SYMPTOMS: Final[dict[str, str]] = {
    "aches": "Muscle, bone or joint aches",
    "insomnia": "Insomnia",
    "runny_nose_tearing": "Runny nose or tearing",
    "hot_cold_flashes": "Hot or cold flashes",
    "sweating": "Sweating",
    "diarrhoea": "Diarrhoea",
    "nausea_vomiting": "Nausea or vomiting",
    "restlessness": "Restlessness",
    "irritability_anxiety": "Irritability or anxiety",
    "low_mood": "Low mood",
    "craving": "Craving",
    "other": "Other",
}

PSYCHIATRIC_CONDITIONS: Final[dict[str, str]] = {
    "depression": "Depression",
    "anxiety": "Anxiety disorder",
    "bipolar": "Bipolar disorder",
    "psychotic": "Psychotic disorder",
    "ptsd": "PTSD",
    "adhd": "ADHD",
    "eating": "Eating disorder",
    "personality": "Personality disorder",
    "other": "Other",
}

# --- Other substances, prior treatment, allergies ----------------------------------------------

OTHER_SUBSTANCES: Final[dict[str, str]] = {
    "opioids": "Opioids",
    "alcohol": "Alcohol",
    "benzodiazepines": "Benzodiazepines",
    "stimulants": "Stimulants",
    "cannabis": "Cannabis",
    "nicotine": "Nicotine",
    "other": "Other",
}
NOT_IN_PAST_YEAR: Final = "not_past_year"
FREQUENCIES: Final[dict[str, str]] = {
    "daily": "Daily or almost daily",
    "weekly": "Weekly (1-6 days a week)",
    "monthly": "Monthly (1-3 days a month)",
    "less_than_monthly": "Less than monthly",
    NOT_IN_PAST_YEAR: "Not in the past 12 months",
}

TREATMENT_SETTINGS: Final[dict[str, str]] = {
    "withdrawal_management": "Withdrawal management (detox)",
    "outpatient": "Outpatient",
    "intensive_outpatient": "Intensive outpatient",
    "residential": "Residential or inpatient",
    "medication_only": "Medication only (office-based)",
    "mutual_help": "Mutual-help group",
    "other": "Other",
}
TREATMENT_MEDICATIONS: Final[dict[str, str]] = {
    "none": "None",
    "buprenorphine": "Buprenorphine",
    "methadone": "Methadone",
    "naltrexone": "Naltrexone",
    "other": "Other",
}
ONGOING: Final = "ongoing"
TREATMENT_OUTCOMES: Final[dict[str, str]] = {
    "completed": "Completed",
    ONGOING: "Ongoing",
    "left_early": "Left early",
    "transferred": "Transferred",
    "unknown": "Not known",
}
ALLERGY_SEVERITIES: Final[dict[str, str]] = {
    "mild": "Mild",
    "moderate": "Moderate",
    "severe": "Severe",
    "unknown": "Not known",
}

# --- Medical and social --------------------------------------------------------------------------

YES: Final = "yes"
TRI_STATE: Final[dict[str, str]] = {YES: "Yes", "no": "No", "unknown": "Not known"}

PREGNANT: Final = "yes"
PREGNANCY_STATUSES: Final[dict[str, str]] = {
    "not_applicable": "Not applicable",
    "unknown": "Not known",
    "no": "No",
    PREGNANT: "Yes",
}
MAX_PREGNANCY_WEEKS: Final = 45

EMPLOYMENT: Final[dict[str, str]] = {
    "full_time": "Employed full time",
    "part_time": "Employed part time",
    "unemployed": "Unemployed",
    "student": "Student",
    "retired": "Retired",
    "disabled": "Unable to work (disability)",
    "homemaker": "Homemaker or carer",
    "other": "Other",
    "unknown": "Not recorded",
}
HOUSING: Final[dict[str, str]] = {
    "stable": "Stable housing",
    "unstable": "Unstable or temporary",
    "homeless": "Homeless",
    "supervised": "Supervised or recovery housing",
    "other": "Other",
    "unknown": "Not recorded",
}
RELATIONSHIPS: Final[dict[str, str]] = {
    "single": "Single",
    "partnered": "Partnered",
    "married": "Married",
    "separated_divorced": "Separated or divorced",
    "widowed": "Widowed",
    "other": "Other",
    "unknown": "Not recorded",
}
LEGAL: Final[dict[str, str]] = {
    "none": "No legal involvement",
    "pending_charges": "Pending charges",
    "probation_parole": "Probation or parole",
    "court_ordered": "Court-ordered treatment",
    "other": "Other",
    "unknown": "Not recorded",
}

GOALS: Final[dict[str, str]] = {"reduce": "Reduce use", "stop": "Stop use"}


def choices(mapping: Mapping[str, str]) -> list[tuple[str, str]]:
    """A vocabulary as Django ``choices``."""
    return list(mapping.items())


# --- Checks --------------------------------------------------------------------------------------


def _add(errors: Errors, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def unit_errors(
    *,
    form: str,
    unit: str,
    mg_per_unit: Decimal | None,
    capsule_contents: str,
    form_other: str = "",
) -> Errors:
    """The unit must suit the product form, and the per-unit strength only goes with counts."""
    errors: Errors = {}
    if form not in PRODUCT_FORMS:
        _add(errors, "form", f"Must be one of: {', '.join(PRODUCT_FORMS)}.")
        return errors
    allowed = ALLOWED_UNITS[form]
    if unit not in allowed:
        _add(
            errors,
            "unit",
            f"{PRODUCT_FORMS[form]} is recorded in {' or '.join(sorted(allowed))}, not {unit!r}.",
        )
    if mg_per_unit is not None and unit != COUNT:
        _add(errors, "mg_per_unit", "Milligrams per unit apply only to counted units.")
    if mg_per_unit is not None and mg_per_unit <= 0:
        _add(errors, "mg_per_unit", "Must be more than 0.")
    if form == CAPSULES:
        if mg_per_unit is None:
            _add(errors, "mg_per_unit", "Give the milligrams per capsule.")
        if capsule_contents not in CAPSULE_CONTENTS:
            _add(errors, "capsule_contents", "Say what the capsules contain.")
    elif capsule_contents:
        _add(errors, "capsule_contents", "Only capsules have contents to record.")
    if form == OTHER and not form_other.strip():
        _add(errors, "form_other", "Describe the product.")
    elif form != OTHER and form_other.strip():
        _add(errors, "form_other", "Describe the product only when the form is 'other'.")
    return errors


def age_on(date_of_birth: dt.date, on: dt.date) -> int:
    """Whole years of age on a date."""
    before_birthday = (on.month, on.day) < (date_of_birth.month, date_of_birth.day)
    return on.year - date_of_birth.year - before_birthday


def use_timeline_errors(
    *,
    date_of_birth: dt.date | None,
    age_at_first_use: int | None,
    years_of_use: Decimal | None,
    last_use_at: dt.datetime | None,
    now: dt.datetime,
) -> Errors:
    """First use no older than the patient, no more years of use than years since first use,
    and a last use that is not in the future."""
    errors: Errors = {}
    if last_use_at is not None and last_use_at > now + CLOCK_SKEW:
        _add(errors, "last_use_at", "The last use cannot be in the future.")
    if date_of_birth is None:
        return errors
    age = age_on(date_of_birth, now.date())
    if age_at_first_use is not None and age_at_first_use > age:
        _add(errors, "age_at_first_use", "Cannot be above the patient's age.")
    if years_of_use is not None:
        limit = (
            age if age_at_first_use is None or age_at_first_use > age else age - age_at_first_use
        )
        # One year of slack: ages are whole years, use durations are not.
        if years_of_use > limit + 1:
            _add(errors, "years_of_use", "More years of use than years since first use.")
    if last_use_at is not None and last_use_at.date() < date_of_birth:
        _add(errors, "last_use_at", "The last use cannot be before the date of birth.")
    return errors


def multi_choice_errors(
    values: object, allowed: Mapping[str, str], *, field: str, other_text: str | None = None
) -> Errors:
    """A list of distinct known codes; 'other' needs its description, given as ``other_text``."""
    errors: Errors = {}
    if not isinstance(values, list | tuple) or not all(isinstance(v, str) for v in values):
        _add(errors, field, "Must be a list of choices.")
        return errors
    unknown = [v for v in values if v not in allowed]
    if unknown:
        _add(errors, field, f"Unknown choices {unknown}: use {', '.join(allowed)}.")
    if len(set(values)) != len(values):
        _add(errors, field, "A choice is listed more than once.")
    if other_text is not None:
        other_field = f"{field}_other"
        if "other" in values and not other_text.strip():
            _add(errors, other_field, "Describe the 'other' choice.")
        elif "other" not in values and other_text.strip():
            _add(errors, other_field, "Describe 'other' only when it is chosen.")
    return errors


def not_future_date_errors(value: dt.date | None, today: dt.date, *, field: str) -> Errors:
    if value is not None and value > today:
        return {field: ["Cannot be in the future."]}
    return {}


def pregnancy_errors(status: str, weeks: int | None) -> Errors:
    if status == PREGNANT:
        if weeks is None:
            return {"pregnancy_weeks": ["Give the weeks of pregnancy."]}
        if not 0 <= weeks <= MAX_PREGNANCY_WEEKS:
            return {"pregnancy_weeks": [f"Must be 0 to {MAX_PREGNANCY_WEEKS} weeks."]}
    elif weeks is not None:
        return {"pregnancy_weeks": ["Weeks apply only when the patient is pregnant."]}
    return {}


def treatment_errors(
    *,
    start_date: dt.date | None,
    end_date: dt.date | None,
    outcome: str,
    medication: str,
    medication_other: str,
    setting: str,
    setting_other: str,
    today: dt.date,
) -> Errors:
    errors: Errors = {}
    for field, value in (("start_date", start_date), ("end_date", end_date)):
        for key, msgs in not_future_date_errors(value, today, field=field).items():
            errors.setdefault(key, []).extend(msgs)
    if start_date and end_date and end_date < start_date:
        _add(errors, "end_date", "Cannot be before the start date.")
    if outcome == ONGOING and end_date is not None:
        _add(errors, "end_date", "An ongoing treatment has no end date.")
    if medication == "other" and not medication_other.strip():
        _add(errors, "medication_other", "Name the medication.")
    if setting == "other" and not setting_other.strip():
        _add(errors, "setting_other", "Describe the setting.")
    return errors


def merge(*parts: Mapping[str, Iterable[str]]) -> Errors:
    """Combine error dicts, keeping every message."""
    merged: Errors = {}
    for part in parts:
        for field, msgs in part.items():
            merged.setdefault(field, []).extend(msgs)
    return merged
