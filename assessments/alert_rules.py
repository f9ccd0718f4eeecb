"""Rule-based clinical alerts from instrument results, vitals and liver tests.

Pure: no Django, no database. The rules are data (:data:`ALERT_RULES`) and every number is a
field of :class:`AlertThresholds` with the clinical reference's default (section 5, and the
instrument flags of section 2), so a clinic changes policy by configuration, not code.

Inputs are the instrument library's result dicts: ``{"total", "band", "subscales", "flags":
[{"code", "text"}], "answers"}``. Where a threshold is configurable the rule reads the total or
the answer itself rather than the library's flag, so a clinic setting takes effect. Flags are
used only for categorical outcomes (ASQ) and as a fallback when the PHQ-9 item 9 answer cannot
be read: a safety flag is never dropped because of an answer format this module does not know.

Alert texts never contain patient data: only the rule, the threshold and the action.
Suicide-risk alerts always need a clinician's acknowledgement.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

AlertKind = Literal[
    "suicide_risk",
    "withdrawal",
    "alcohol",
    "mood",
    "anxiety",
    "substance_use",
    "blood_pressure",
    "liver",
]
AlertSeverity = Literal["critical", "high", "medium", "low"]
SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low")
CSSRS_LEVELS: tuple[str, ...] = ("low", "moderate", "high")
SEXES: tuple[str, ...] = ("male", "female")


@dataclass(frozen=True)
class AlertThresholds:
    """Alert thresholds; every comparison is ``value >= threshold`` (or a listed level).

    Defaults are the clinical reference's. ``sows_medical_review_min`` (the CTN-0094 "severe"
    band edge) and ``phq2_positive_min`` / ``audit_positive_min`` (the instruments' own positive
    screens) extend section 5 by analogy and are settings, not published action thresholds.
    """

    phq9_item9_min: int = 1  # item 9 > 0: same-day suicide risk assessment
    cssrs_alert_levels: tuple[str, ...] = ("high",)
    phq9_severe_min: int = 20
    phq2_positive_min: int = 3
    gad7_severe_min: int = 15
    audit_c_positive_min_male: int = 4
    audit_c_positive_min_female: int = 3
    audit_c_positive_min_sex_unknown: int = 3  # reference: "if unknown use 3 and say so"
    audit_positive_min: int = 8
    dast10_further_assessment_min: int = 3
    cows_medical_review_min: int = 25
    sows_medical_review_min: int = 21
    systolic_urgency_min: int = 180
    diastolic_urgency_min: int = 120
    aminotransferase_uln_multiple: Decimal = Decimal(3)
    bilirubin_uln_multiple: Decimal = Decimal(2)

    def __post_init__(self) -> None:
        ranges = {
            "phq9_item9_min": (1, 3),
            "phq9_severe_min": (1, 27),
            "phq2_positive_min": (1, 6),
            "gad7_severe_min": (1, 21),
            "audit_c_positive_min_male": (1, 12),
            "audit_c_positive_min_female": (1, 12),
            "audit_c_positive_min_sex_unknown": (1, 12),
            "audit_positive_min": (1, 40),
            "dast10_further_assessment_min": (1, 10),
            "cows_medical_review_min": (1, 48),
            "sows_medical_review_min": (1, 64),
            "systolic_urgency_min": (100, 300),
            "diastolic_urgency_min": (60, 200),
        }
        for name, (low, high) in ranges.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValueError(f"{name} must be a whole number from {low} to {high}")
        for name in ("aminotransferase_uln_multiple", "bilirubin_uln_multiple"):
            value = getattr(self, name)
            if not isinstance(value, (int, Decimal)) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"{name} must be a positive int or Decimal")
        if not self.cssrs_alert_levels or any(
            level not in CSSRS_LEVELS for level in self.cssrs_alert_levels
        ):
            raise ValueError(f"cssrs_alert_levels must be a non-empty subset of {CSSRS_LEVELS}")

    def audit_c_positive_min(self, sex: str | None) -> int:
        if sex == "male":
            return self.audit_c_positive_min_male
        if sex == "female":
            return self.audit_c_positive_min_female
        return self.audit_c_positive_min_sex_unknown


DEFAULT_THRESHOLDS = AlertThresholds()


@dataclass(frozen=True)
class AlertSpec:
    """An alert to raise; the caller stores it against the patient and the source record."""

    code: str
    kind: AlertKind
    severity: AlertSeverity
    text: str
    requires_clinician_ack: bool


@dataclass(frozen=True)
class AlertRule:
    """One instrument rule as data.

    ``measure`` is ``"total"``, ``"item:N"`` (answer to item N) or ``"flag:CODE"`` (a flag of
    the library's result). ``threshold`` names the :class:`AlertThresholds` field compared with
    ``>=``; categorical flag rules have none. ``fallback_flag`` fires the rule when the measured
    answer is missing. ``supersedes`` drops weaker alerts of the same result when this one fires.
    """

    code: str
    instrument: str
    kind: AlertKind
    severity: AlertSeverity
    text: str
    requires_clinician_ack: bool
    measure: str
    threshold: str | None = None
    fallback_flag: str | None = None
    supersedes: tuple[str, ...] = ()


ALERT_RULES: tuple[AlertRule, ...] = (
    AlertRule(
        code="phq9_item9_suicide_risk",
        instrument="phq9",
        kind="suicide_risk",
        severity="high",
        text="PHQ-9 item 9 (thoughts of self-harm) scored {threshold} or more: "
        "same-day suicide risk assessment.",
        requires_clinician_ack=True,
        measure="item:9",
        threshold="phq9_item9_min",
        fallback_flag="suicide_risk",
    ),
    AlertRule(
        code="asq_acute_positive",
        instrument="asq",
        kind="suicide_risk",
        severity="critical",
        text="ASQ acute positive (imminent risk): keep the patient safe and under observation "
        "and arrange an emergency full safety evaluation now.",
        requires_clinician_ack=True,
        measure="flag:asq_acute",
        supersedes=("asq_positive",),
    ),
    AlertRule(
        code="asq_positive",
        instrument="asq",
        kind="suicide_risk",
        severity="high",
        text="ASQ non-acute positive: brief suicide safety assessment before the patient leaves.",
        requires_clinician_ack=True,
        measure="flag:asq_positive",
    ),
    AlertRule(
        code="cows_medical_review",
        instrument="cows",
        kind="withdrawal",
        severity="high",
        text="COWS total {threshold} or more (moderately severe withdrawal or worse): "
        "medical review.",
        requires_clinician_ack=False,
        measure="total",
        threshold="cows_medical_review_min",
    ),
    AlertRule(
        code="sows_medical_review",
        instrument="sows",
        kind="withdrawal",
        severity="high",
        text="SOWS total {threshold} or more (severe band): medical review.",
        requires_clinician_ack=False,
        measure="total",
        threshold="sows_medical_review_min",
    ),
    AlertRule(
        code="phq9_severe",
        instrument="phq9",
        kind="mood",
        severity="high",
        text="PHQ-9 total {threshold} or more (severe depressive symptoms): clinician review "
        "of treatment for depression.",
        requires_clinician_ack=False,
        measure="total",
        threshold="phq9_severe_min",
    ),
    AlertRule(
        code="phq2_positive",
        instrument="phq2",
        kind="mood",
        severity="low",
        text="PHQ-2 total {threshold} or more (positive screen): give the PHQ-9.",
        requires_clinician_ack=False,
        measure="total",
        threshold="phq2_positive_min",
    ),
    AlertRule(
        code="gad7_severe",
        instrument="gad7",
        kind="anxiety",
        severity="medium",
        text="GAD-7 total {threshold} or more (severe anxiety symptoms): clinician review.",
        requires_clinician_ack=False,
        measure="total",
        threshold="gad7_severe_min",
    ),
    AlertRule(
        code="audit_c_positive",
        instrument="auditc",
        kind="alcohol",
        severity="medium",
        text="AUDIT-C total {threshold} or more (positive screen{note}): alcohol brief "
        "intervention.",
        requires_clinician_ack=False,
        measure="total",
        threshold="audit_c_positive_min",
    ),
    AlertRule(
        code="audit_positive",
        instrument="audit",
        kind="alcohol",
        severity="medium",
        text="AUDIT total {threshold} or more (positive screen): brief intervention and "
        "further assessment of alcohol use.",
        requires_clinician_ack=False,
        measure="total",
        threshold="audit_positive_min",
    ),
    AlertRule(
        code="dast10_further_assessment",
        instrument="dast10",
        kind="substance_use",
        severity="medium",
        text="DAST-10 total {threshold} or more: further assessment of drug use.",
        requires_clinician_ack=False,
        measure="total",
        threshold="dast10_further_assessment_min",
    ),
)

_INSTRUMENT_ALIASES = {"sowshandelsman": "sows", "cows11": "cows"}
_ITEM_KEY_FORMS = ("{n}", "item{n}", "item_{n}", "q{n}")


def normalize_instrument_code(code: str) -> str:
    """``"PHQ-9"``, ``"phq_9"`` and ``"phq9"`` are one instrument: lower-case letters and digits."""
    key = re.sub(r"[^a-z0-9]", "", str(code).lower())
    return _INSTRUMENT_ALIASES.get(key, key)


def rules_for(instrument_code: str) -> tuple[AlertRule, ...]:
    key = normalize_instrument_code(instrument_code)
    return tuple(rule for rule in ALERT_RULES if rule.instrument == key)


def evaluate_alerts(
    instrument_code: str,
    result: Mapping,
    thresholds: AlertThresholds = DEFAULT_THRESHOLDS,
    *,
    sex: Literal["male", "female"] | None = None,
) -> list[AlertSpec]:
    """Alerts for one instrument result, most severe first; ``[]`` for instruments without rules.

    ``sex`` only matters for AUDIT-C; when it is unknown the lower threshold is used and the
    alert text says so. A result without a usable total raises ``ValueError``: an unreadable
    result must not pass as "no alert".
    """
    if sex is not None and sex not in SEXES:
        raise ValueError(f"sex must be one of {SEXES} or None")
    flags = _flag_codes(result)
    fired: list[tuple[AlertRule, AlertSpec]] = []
    for rule in rules_for(instrument_code):
        threshold = _threshold(rule, thresholds, sex)
        if _fires(rule, result, flags, threshold):
            note = ""
            if rule.threshold == "audit_c_positive_min" and sex is None:
                note = "; sex not recorded, so the lower threshold was used"
            text = rule.text.format(threshold=threshold, note=note)
            spec = AlertSpec(rule.code, rule.kind, rule.severity, text, rule.requires_clinician_ack)
            fired.append((rule, spec))
    dropped = {code for rule, _ in fired for code in rule.supersedes}
    specs = [spec for _, spec in fired if spec.code not in dropped]
    return sorted(specs, key=lambda s: SEVERITIES.index(s.severity))


def evaluate_cssrs(
    level: Literal["low", "moderate", "high"], thresholds: AlertThresholds = DEFAULT_THRESHOLDS
) -> list[AlertSpec]:
    """Alert for a C-SSRS risk level a clinician recorded from a paper administration.

    By default only "high" alerts (reference section 5). A clinic may add "moderate" (or "low")
    to ``cssrs_alert_levels``; those alerts are one severity step lower.
    """
    if level not in CSSRS_LEVELS:
        raise ValueError(f"level must be one of {CSSRS_LEVELS}")
    if level not in thresholds.cssrs_alert_levels:
        return []
    severity = {"high": "critical", "moderate": "high", "low": "medium"}[level]
    return [
        AlertSpec(
            code=f"cssrs_{level}",
            kind="suicide_risk",
            severity=severity,
            text=f"C-SSRS risk level recorded as {level}: clinician suicide risk assessment and "
            "safety plan today.",
            requires_clinician_ack=True,
        )
    ]


def evaluate_blood_pressure(
    systolic: int, diastolic: int, thresholds: AlertThresholds = DEFAULT_THRESHOLDS
) -> list[AlertSpec]:
    """Hypertensive urgency alert: systolic or diastolic at or above the thresholds."""
    for name, value in (("systolic", systolic), ("diastolic", diastolic)):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 400:
            raise ValueError(f"{name} must be a whole number of mmHg")
    if systolic < thresholds.systolic_urgency_min and diastolic < thresholds.diastolic_urgency_min:
        return []
    return [
        AlertSpec(
            code="hypertensive_urgency",
            kind="blood_pressure",
            severity="high",
            text=f"Blood pressure at or above {thresholds.systolic_urgency_min} systolic or "
            f"{thresholds.diastolic_urgency_min} diastolic: repeat the reading and arrange "
            "same-day medical review.",
            requires_clinician_ack=False,
        )
    ]


def evaluate_liver_tests(
    *,
    alt_x_uln: Decimal | int | None = None,
    ast_x_uln: Decimal | int | None = None,
    bilirubin_x_uln: Decimal | int | None = None,
    thresholds: AlertThresholds = DEFAULT_THRESHOLDS,
) -> list[AlertSpec]:
    """Liver alerts from results expressed as multiples of the upper limit of normal (ULN).

    Hy's-law pattern (ALT or AST >= 3x ULN with total bilirubin >= 2x ULN) is critical and
    replaces the plain "ALT >= 3x ULN" review alert, so one finding raises one alert.
    """
    values = {"alt_x_uln": alt_x_uln, "ast_x_uln": ast_x_uln, "bilirubin_x_uln": bilirubin_x_uln}
    for name, value in values.items():
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, (int, Decimal)) or value < 0
        ):
            raise ValueError(f"{name} must be a non-negative int or Decimal (floats are refused)")
    amino = thresholds.aminotransferase_uln_multiple
    alt_high = alt_x_uln is not None and alt_x_uln >= amino
    ast_high = ast_x_uln is not None and ast_x_uln >= amino
    bili_high = bilirubin_x_uln is not None and bilirubin_x_uln >= thresholds.bilirubin_uln_multiple
    if (alt_high or ast_high) and bili_high:
        return [
            AlertSpec(
                code="hys_law_pattern",
                kind="liver",
                severity="critical",
                text=f"ALT or AST {amino}x ULN or more with total bilirubin "
                f"{thresholds.bilirubin_uln_multiple}x ULN or more (Hy's-law pattern): "
                "urgent medical review for drug-induced liver injury.",
                requires_clinician_ack=False,
            )
        ]
    if alt_high:
        return [
            AlertSpec(
                code="alt_liver_review",
                kind="liver",
                severity="medium",
                text=f"ALT {amino}x ULN or more: liver review.",
                requires_clinician_ack=False,
            )
        ]
    return []


def describe_rules(thresholds: AlertThresholds = DEFAULT_THRESHOLDS) -> list[dict]:
    """The instrument rules with their current thresholds, for documentation and admin pages."""
    rows = []
    for rule in ALERT_RULES:
        row = dataclasses.asdict(rule)
        if rule.threshold == "audit_c_positive_min":
            row["threshold_value"] = {
                "male": thresholds.audit_c_positive_min_male,
                "female": thresholds.audit_c_positive_min_female,
                "unknown": thresholds.audit_c_positive_min_sex_unknown,
            }
        elif rule.threshold:
            row["threshold_value"] = getattr(thresholds, rule.threshold)
        rows.append(row)
    return rows


def _threshold(rule: AlertRule, thresholds: AlertThresholds, sex: str | None) -> int | None:
    if rule.threshold is None:
        return None
    if rule.threshold == "audit_c_positive_min":
        return thresholds.audit_c_positive_min(sex)
    return getattr(thresholds, rule.threshold)


def _fires(rule: AlertRule, result: Mapping, flags: set[str], threshold: int | None) -> bool:
    kind, _, arg = rule.measure.partition(":")
    if kind == "flag":
        return arg in flags
    if kind == "item":
        value = _answer(result.get("answers"), int(arg))
        if value is None:
            return rule.fallback_flag is not None and rule.fallback_flag in flags
        return threshold is not None and value >= threshold
    if kind == "total":
        total = result.get("total")
        if isinstance(total, bool) or not isinstance(total, (int, Decimal, float)):
            raise ValueError(f"{rule.instrument} result has no numeric total")
        return threshold is not None and total >= threshold
    raise ValueError(f"unknown measure {rule.measure!r} in rule {rule.code}")


def _flag_codes(result: Mapping) -> set[str]:
    codes = set()
    for flag in result.get("flags") or ():
        code = flag.get("code") if isinstance(flag, Mapping) else flag
        if isinstance(code, str):
            codes.add(code)
    return codes


def _answer(answers: object, item: int) -> int | None:
    """Numeric answer to ``item`` under the key forms ``9``, ``"9"``, ``"item9"``, ``"item_9"``,
    ``"q9"``; ``None`` when absent or not numeric (the caller then falls back to the flag)."""
    if not isinstance(answers, Mapping):
        return None
    for key in (item, *(form.format(n=item) for form in _ITEM_KEY_FORMS)):
        value = answers.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None
