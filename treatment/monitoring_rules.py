"""Pure clinical threshold rules for medical monitoring: no Django, no database.

Defaults follow clinical reference section 5. Rules with an authoritative source (ACC/AHA 2017
blood pressure, DILI guidance for liver tests, COWS bands) are plain settings. Heart rate,
temperature, hypotension, oxygen saturation and breathing rate have no authoritative outpatient
source: their defaults are clinic policy, borrowed from the extreme single-parameter bands of
NEWS2 (Royal College of Physicians, 2017, an inpatient score), and ``None`` turns a rule off.

Alert text never contains patient data or measured values: alerts are shown in lists,
notifications and logs where the value does not belong.

Severity: ``critical`` act now, before the patient leaves; ``high`` same-day clinician review;
``medium`` review at the next contact; ``low`` for information.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, fields
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, localcontext
from enum import StrEnum
from typing import TypedDict


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


_SEVERITY_RANK = {s.value: rank for rank, s in enumerate(Severity)}


class Alert(TypedDict):
    code: str
    severity: str
    text: str


class RuleInputError(ValueError):
    """Impossible input; ``errors`` maps a field name to messages so an API can answer 400."""

    def __init__(self, errors: Mapping[str, list[str]]):
        self.errors: dict[str, list[str]] = {field: list(msgs) for field, msgs in errors.items()}
        super().__init__(
            "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in self.errors.items())
        )


class VitalsError(RuleInputError):
    pass


class LabsError(RuleInputError):
    pass


def _is_number(value: object) -> bool:
    """Decimal or int only: floats would bring binary rounding into clinical comparisons."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return False
    return Decimal(value).is_finite()


@dataclass(frozen=True)
class Thresholds:
    """Alert thresholds; every comparison is inclusive ("at or above", "at or below").

    Reference section 5 (sourced): BP, liver multiples of ULN, COWS.
    Clinic policy (NEWS2 extremes, ``None`` disables): the remaining fields.
    """

    # ACC/AHA 2017: hypertensive urgency at >= 180 systolic or >= 120 diastolic (mmHg).
    systolic_urgency_at_or_above: int = 180
    diastolic_urgency_at_or_above: int = 120
    # DILI guidance: Hy's law = ALT or AST >= 3x ULN with total bilirubin >= 2x ULN.
    hys_law_aminotransferase_uln_multiple: Decimal = Decimal(3)
    hys_law_bilirubin_uln_multiple: Decimal = Decimal(2)
    # DILI guidance: ALT >= 3x ULN on its own calls for a liver review.
    alt_review_uln_multiple: Decimal = Decimal(3)
    # COWS 25-36 is "moderately severe": medical review.
    cows_medical_review_at_or_above: int = 25
    # Clinic policy (NEWS2 score-3 bands unless noted).
    heart_rate_high_at_or_above: int | None = 131
    heart_rate_low_at_or_below: int | None = 40
    systolic_low_at_or_below: int | None = 90
    temperature_high_c_at_or_above: Decimal | None = Decimal("39.1")  # NEWS2 score-2 band
    temperature_low_c_at_or_below: Decimal | None = Decimal("35.0")
    spo2_low_at_or_below: int | None = 91
    respiratory_rate_low_at_or_below: int | None = 8
    respiratory_rate_high_at_or_above: int | None = 25

    def __post_init__(self) -> None:
        # A misconfigured threshold would silently hide alerts: fail loudly at start-up instead.
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                if f.name in _SOURCED_THRESHOLDS:
                    raise ValueError(f"Threshold {f.name} comes from the reference: set a value.")
                continue
            if isinstance(value, bool) or not _is_number(value) or value <= 0:
                raise ValueError(f"Threshold {f.name} must be a positive int or Decimal.")


# Thresholds from reference section 5 may be tuned but not switched off.
_SOURCED_THRESHOLDS = frozenset(
    {
        "systolic_urgency_at_or_above",
        "diastolic_urgency_at_or_above",
        "hys_law_aminotransferase_uln_multiple",
        "hys_law_bilirubin_uln_multiple",
        "alt_review_uln_multiple",
        "cows_medical_review_at_or_above",
    }
)


DEFAULT_THRESHOLDS = Thresholds()


def _alert(code: str, severity: Severity, text: str) -> Alert:
    return {"code": code, "severity": severity.value, "text": text}


def _by_severity(alerts: list[Alert]) -> list[Alert]:
    return sorted(alerts, key=lambda a: _SEVERITY_RANK[a["severity"]])


# ---------------------------------------------------------------------------------------------
# Liver


@dataclass(frozen=True)
class LiverLabs:
    """One set of liver tests, each with the reporting lab's upper limit of normal (ULN).

    Any test may be missing (None); a value needs its ULN because ULNs differ between labs.
    """

    alt: Decimal | None = None
    alt_uln: Decimal | None = None
    ast: Decimal | None = None
    ast_uln: Decimal | None = None
    alp: Decimal | None = None
    alp_uln: Decimal | None = None
    bilirubin: Decimal | None = None
    bilirubin_uln: Decimal | None = None


def _check_labs(pairs: Mapping[str, tuple[object, object]]) -> None:
    errors: dict[str, list[str]] = defaultdict(list)
    for name, (value, uln) in pairs.items():
        if value is None:
            continue
        if not _is_number(value) or value < 0:
            errors[name].append("Must be a number, 0 or more.")
        if uln is None:
            errors[f"{name}_uln"].append(f"Required when {name} is given.")
        elif not _is_number(uln) or uln <= 0:
            errors[f"{name}_uln"].append("Must be a number greater than 0.")
    if errors:
        raise LabsError(errors)


def r_ratio(alt: Decimal, alt_uln: Decimal, alp: Decimal, alp_uln: Decimal) -> Decimal:
    """R = (ALT/ULN) / (ALP/ULN), unrounded so the 2 and 5 edges classify exactly.

    Computed as one division of two products, so an exact 5 stays exactly 5. Round for display
    only, after classifying.
    """
    _check_labs({"alt": (alt, alt_uln), "alp": (alp, alp_uln)})
    for name, value in (("alt", alt), ("alp", alp)):
        if value is None:
            raise LabsError({name: ["Required for the R ratio."]})
    if alp == 0:
        raise LabsError({"alp": ["Must be greater than 0 for the R ratio."]})
    with localcontext() as ctx:
        ctx.prec = 50
        return +((Decimal(alt) * Decimal(alp_uln)) / (Decimal(alt_uln) * Decimal(alp)))


def liver_pattern(r: Decimal) -> str:
    """Injury pattern from R: >= 5 hepatocellular, <= 2 cholestatic, in between mixed."""
    if not _is_number(r) or r < 0:
        raise LabsError({"r_ratio": ["Must be a number, 0 or more."]})
    if r >= 5:
        return "hepatocellular"
    if r <= 2:
        return "cholestatic"
    return "mixed"


def hys_law(
    alt: Decimal | None,
    alt_uln: Decimal | None,
    ast: Decimal | None,
    ast_uln: Decimal | None,
    bilirubin: Decimal | None,
    bilirubin_uln: Decimal | None,
    *,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> bool:
    """ALT or AST >= 3x ULN together with total bilirubin >= 2x ULN (multiples configurable).

    A missing ALT or AST (None) cannot meet the rule but the other still can; without bilirubin
    the rule cannot be met. Compared by multiplication, so exactly 3x and 2x count.
    """
    _check_labs(
        {"alt": (alt, alt_uln), "ast": (ast, ast_uln), "bilirubin": (bilirubin, bilirubin_uln)}
    )
    multiple = thresholds.hys_law_aminotransferase_uln_multiple
    aminotransferase = any(
        value is not None and value >= multiple * uln
        for value, uln in ((alt, alt_uln), (ast, ast_uln))
    )
    bilirubin_high = (
        bilirubin is not None
        and bilirubin >= thresholds.hys_law_bilirubin_uln_multiple * bilirubin_uln
    )
    return aminotransferase and bilirubin_high


def liver_alerts(labs: LiverLabs, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> list[Alert]:
    """Hy's law (critical) or, failing that, ALT >= 3x ULN alone (high).

    Only the more serious alert is raised: Hy's law already implies the review. AST alone does
    not raise a review alert because reference section 5 names ALT only (AST also rises with
    muscle injury); AST still counts towards Hy's law.
    """
    _check_labs(
        {
            "alt": (labs.alt, labs.alt_uln),
            "ast": (labs.ast, labs.ast_uln),
            "alp": (labs.alp, labs.alp_uln),
            "bilirubin": (labs.bilirubin, labs.bilirubin_uln),
        }
    )
    if hys_law(
        labs.alt,
        labs.alt_uln,
        labs.ast,
        labs.ast_uln,
        labs.bilirubin,
        labs.bilirubin_uln,
        thresholds=thresholds,
    ):
        return [
            _alert(
                "hys_law",
                Severity.CRITICAL,
                "Hy's law pattern: ALT or AST at least 3x ULN with total bilirubin at least 2x "
                "ULN. Urgent medical review for possible serious liver injury.",
            )
        ]
    if labs.alt is not None and labs.alt >= thresholds.alt_review_uln_multiple * labs.alt_uln:
        return [
            _alert(
                "alt_3x_uln",
                Severity.HIGH,
                "ALT at least 3x ULN. Liver review: repeat liver tests and review kratom and "
                "other hepatotoxic exposures.",
            )
        ]
    return []


# ---------------------------------------------------------------------------------------------
# Withdrawal


def withdrawal_alerts(cows_total: int, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> list[Alert]:
    """COWS total at or above the medical-review threshold (default 25, moderately severe)."""
    if isinstance(cows_total, bool) or not isinstance(cows_total, int) or not 0 <= cows_total <= 48:
        raise RuleInputError({"cows_total": ["Must be a whole number from 0 to 48."]})
    if cows_total >= thresholds.cows_medical_review_at_or_above:
        return [
            _alert(
                "cows_medical_review",
                Severity.HIGH,
                "COWS in the moderately severe range or above. Medical review of withdrawal.",
            )
        ]
    return []


# ---------------------------------------------------------------------------------------------
# Vital signs


@dataclass(frozen=True)
class Vitals:
    """Validated vital signs in canonical units (mmHg, bpm, degC, breaths/min, %, kg)."""

    systolic: int | None = None
    diastolic: int | None = None
    heart_rate: int | None = None
    temperature_c: Decimal | None = None
    respiratory_rate: int | None = None
    spo2: int | None = None
    weight_kg: Decimal | None = None


LB_TO_KG = Decimal("0.45359237")  # exact, by international definition
_TWO_PLACES = Decimal("0.01")
# Whole-number ranges, inclusive.
_RANGES: dict[str, tuple[int, int, str]] = {
    "systolic": (50, 300, "mmHg"),
    "diastolic": (20, 200, "mmHg"),
    "heart_rate": (20, 250, "beats per minute"),
    "respiratory_rate": (4, 80, "breaths per minute"),
    "spo2": (50, 100, "%"),
}
_TEMPERATURE_UNITS = {"c": "C", "°c": "C", "celsius": "C", "f": "F", "°f": "F", "fahrenheit": "F"}
_TEMPERATURE_RANGES = {"C": (Decimal(30), Decimal(45)), "F": (Decimal(86), Decimal(113))}
_WEIGHT_UNITS = {"kg": "kg", "lb": "lb"}
_KG_RANGE = (Decimal(2), Decimal(400))
# The lb range is the kg range converted and rounded inwards, so every accepted lb value
# converts into the kg range and the message quotes numbers that really are accepted.
_LB_RANGE = (
    (_KG_RANGE[0] / LB_TO_KG).quantize(_TWO_PLACES, rounding=ROUND_CEILING),
    (_KG_RANGE[1] / LB_TO_KG).quantize(_TWO_PLACES, rounding=ROUND_FLOOR),
)


def _to_decimal(value: object) -> Decimal | None:
    """Accept int, Decimal, float or numeric text (forms and devices send all of these)."""
    if isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value)) if isinstance(value, float | str) else Decimal(value)
    except (ArithmeticError, TypeError, ValueError):
        return None
    return number if number.is_finite() else None


def validate_vitals(
    *,
    systolic: object = None,
    diastolic: object = None,
    heart_rate: object = None,
    temperature: object = None,
    temperature_unit: str | None = None,
    respiratory_rate: object = None,
    spo2: object = None,
    weight: object = None,
    weight_unit: str | None = None,
) -> Vitals:
    """Check plausibility and units, normalise to degC and kg, or raise ``VitalsError``.

    Counts (blood pressure, heart rate, breathing rate, SpO2) must be whole numbers, as charted.
    Blood pressure needs both numbers, systolic above diastolic. Temperature and weight need an
    explicit unit: ranges are not used to guess one. Stored values keep two decimal places, so
    conversion moves a reading by at most 0.005, well inside the 0.1 degC thresholds are set in.
    A unit without a value is ignored.
    """
    errors: dict[str, list[str]] = defaultdict(list)
    given = {
        "systolic": systolic,
        "diastolic": diastolic,
        "heart_rate": heart_rate,
        "respiratory_rate": respiratory_rate,
        "spo2": spo2,
    }
    counts: dict[str, int | None] = {}
    for name, raw in given.items():
        counts[name] = None
        if raw is None:
            continue
        number = _to_decimal(raw)
        low, high, unit = _RANGES[name]
        if number is None:
            errors[name].append("Must be a number.")
        elif number != number.to_integral_value():
            errors[name].append("Must be a whole number.")
        elif not low <= number <= high:
            errors[name].append(f"Must be between {low} and {high} {unit}.")
        else:
            counts[name] = int(number)

    if (systolic is None) != (diastolic is None):
        missing = "diastolic" if diastolic is None else "systolic"
        errors[missing].append("Blood pressure needs both systolic and diastolic.")
    elif (
        counts["systolic"] is not None
        and counts["diastolic"] is not None
        and counts["systolic"] <= counts["diastolic"]
    ):
        errors["diastolic"].append("Must be lower than systolic.")

    temperature_c = None
    if temperature is not None:
        number = _to_decimal(temperature)
        unit = _TEMPERATURE_UNITS.get(str(temperature_unit).strip().lower())
        if temperature_unit is None:
            errors["temperature_unit"].append("Required with a temperature: C or F.")
        elif unit is None:
            errors["temperature_unit"].append("Must be C or F.")
        if number is None:
            errors["temperature"].append("Must be a number.")
        elif unit is not None:
            low, high = _TEMPERATURE_RANGES[unit]
            if not low <= number <= high:
                errors["temperature"].append(f"Must be between {low} and {high} °{unit}.")
            else:
                celsius = number if unit == "C" else (number - 32) * 5 / 9
                temperature_c = celsius.quantize(_TWO_PLACES, ROUND_HALF_UP)

    weight_kg = None
    if weight is not None:
        number = _to_decimal(weight)
        unit = _WEIGHT_UNITS.get(str(weight_unit).strip().lower())
        if weight_unit is None:
            errors["weight_unit"].append("Required with a weight: kg or lb.")
        elif unit is None:
            errors["weight_unit"].append("Must be kg or lb.")
        if number is None:
            errors["weight"].append("Must be a number.")
        elif unit is not None:
            low, high = _KG_RANGE if unit == "kg" else _LB_RANGE
            if not low <= number <= high:
                errors["weight"].append(f"Must be between {low} and {high} {unit}.")
            else:
                kg = number if unit == "kg" else number * LB_TO_KG
                weight_kg = kg.quantize(_TWO_PLACES, ROUND_HALF_UP)

    if not errors and all(v is None for v in (*given.values(), temperature, weight)):
        errors["non_field_errors"].append("Enter at least one vital sign.")
    if errors:
        raise VitalsError(errors)
    return Vitals(
        systolic=counts["systolic"],
        diastolic=counts["diastolic"],
        heart_rate=counts["heart_rate"],
        temperature_c=temperature_c,
        respiratory_rate=counts["respiratory_rate"],
        spo2=counts["spo2"],
        weight_kg=weight_kg,
    )


# Clinic-policy vital rules: (Vitals field, Thresholds field, alert when at or above?, code,
# severity, text). A threshold set to None switches its rule off.
_POLICY_VITAL_RULES: tuple[tuple[str, str, bool, str, Severity, str], ...] = (
    ("systolic", "systolic_low_at_or_below", False, "hypotension", Severity.HIGH,
     "Systolic blood pressure at or below the clinic's hypotension threshold."),
    ("heart_rate", "heart_rate_high_at_or_above", True, "tachycardia", Severity.HIGH,
     "Heart rate at or above the clinic's high heart-rate threshold."),
    ("heart_rate", "heart_rate_low_at_or_below", False, "bradycardia", Severity.HIGH,
     "Heart rate at or below the clinic's low heart-rate threshold."),
    ("temperature_c", "temperature_high_c_at_or_above", True, "fever", Severity.MEDIUM,
     "Temperature at or above the clinic's fever threshold."),
    ("temperature_c", "temperature_low_c_at_or_below", False, "hypothermia", Severity.HIGH,
     "Temperature at or below the clinic's low-temperature threshold."),
    ("spo2", "spo2_low_at_or_below", False, "low_spo2", Severity.HIGH,
     "Oxygen saturation at or below the clinic's threshold."),
    ("respiratory_rate", "respiratory_rate_low_at_or_below", False, "low_respiratory_rate",
     Severity.HIGH,
     "Breathing rate at or below the clinic's threshold: consider sedation or opioid-like "
     "toxicity."),
    ("respiratory_rate", "respiratory_rate_high_at_or_above", True, "high_respiratory_rate",
     Severity.HIGH, "Breathing rate at or above the clinic's threshold."),
)  # fmt: skip


def vital_alerts(vitals: Vitals, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> list[Alert]:
    """Alerts for one validated set of vitals (pass the result of ``validate_vitals``).

    Critical alerts come first. High blood pressure gives one alert even if both numbers are high.
    """
    t = thresholds
    alerts: list[Alert] = []
    if (vitals.systolic is not None and vitals.systolic >= t.systolic_urgency_at_or_above) or (
        vitals.diastolic is not None and vitals.diastolic >= t.diastolic_urgency_at_or_above
    ):
        alerts.append(
            _alert(
                "hypertensive_urgency",
                Severity.CRITICAL,
                "Blood pressure at or above the hypertensive urgency threshold. Repeat the "
                "reading and have a clinician assess before the patient leaves.",
            )
        )
    for field, threshold, above, code, severity, text in _POLICY_VITAL_RULES:
        value, limit = getattr(vitals, field), getattr(t, threshold)
        if value is None or limit is None:
            continue
        if (value >= limit) if above else (value <= limit):
            alerts.append(_alert(code, severity, text))
    return _by_severity(alerts)
