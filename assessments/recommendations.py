"""Intake recommendations: rules as data and a small evaluator.

Pure: no Django, no database. Each rule is a record (id, condition, intervention types,
suggestion, rationale, priority) so a clinician can read the whole rule set in one place and
a reviewer can check it against the clinical reference. The output is a list of *suggestions*
for the treatment plan, never orders: the clinician chooses, and the plan records the choice.

:func:`recommend` returns one :class:`Recommendation` per intervention type (the plan's unit),
so a type suggested by several rules appears once, carrying every reason. The list is ordered
by priority (safety first), then by the order of :data:`INTERVENTION_TYPES`.

Choices beyond the brief's rule list, made for safety and documented here:

* pregnancy: a prescriber review (with obstetric input) replaces the taper suggestion, because
  no kratom taper guideline exists and in opioid use disorder medically supervised withdrawal
  during pregnancy is generally avoided in favour of agonist treatment;
* the alcohol brief intervention is typed ``individual_counseling`` (SBIRT-style brief advice
  in a session); the suicide-risk safety plan is ``individual_counseling`` too, at priority 0.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

INTERVENTION_TYPES: tuple[str, ...] = (
    "cbt",
    "met",
    "individual_counseling",
    "group_counseling",
    "peer_support",
    "psychoeducation",
    "taper",
    "medical_monitoring",
    "healthy_activity",
    "medication_treatment",
    "referral",
)
SEVERITIES: tuple[str, ...] = ("none", "mild", "moderate", "severe")


class FindingsError(ValueError):
    """Invalid findings; ``errors`` maps a field to messages so an API can answer 400."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = {field: list(msgs) for field, msgs in errors.items()}
        super().__init__(
            "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in self.errors.items())
        )


@dataclass(frozen=True)
class IntakeFindings:
    """What the intake found. ``None`` means not assessed, which never fires a rule.

    ``readiness`` is the lower of the Readiness Ruler's importance and readiness (0-10).
    """

    use_disorder_severity: Literal["none", "mild", "moderate", "severe"]
    daily_use: bool = False
    phq9_total: int | None = None
    gad7_total: int | None = None
    readiness: int | None = None
    liver_history: bool = False
    pregnancy: bool | None = None
    opioid_co_use: bool = False
    seven_oh_use: bool = False
    suicide_risk_open: bool = False
    audit_c_positive: bool = False

    def __post_init__(self) -> None:
        errors: dict[str, list[str]] = defaultdict(list)
        if self.use_disorder_severity not in SEVERITIES:
            errors["use_disorder_severity"].append(f"Must be one of: {', '.join(SEVERITIES)}.")
        for name, high in (("phq9_total", 27), ("gad7_total", 21), ("readiness", 10)):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high
            ):
                errors[name].append(f"Must be a whole number from 0 to {high}, or empty.")
        for name in (
            "daily_use",
            "liver_history",
            "opioid_co_use",
            "seven_oh_use",
            "suicide_risk_open",
            "audit_c_positive",
        ):
            if not isinstance(getattr(self, name), bool):
                errors[name].append("Must be true or false.")
        if self.pregnancy is not None and not isinstance(self.pregnancy, bool):
            errors["pregnancy"].append("Must be true, false or empty.")
        if errors:
            raise FindingsError(errors)

    @property
    def has_disorder(self) -> bool:
        return self.use_disorder_severity != "none"


@dataclass(frozen=True)
class RecommendationSettings:
    """Rule thresholds (documented defaults, clinic-configurable)."""

    low_readiness_max: int = 4  # "low readiness" on the 0-10 ruler: <= 4
    phq9_min: int = 10  # PHQ-9 moderate band starts at 10
    gad7_min: int = 10  # GAD-7 positive screen at 10


DEFAULT_SETTINGS = RecommendationSettings()


@dataclass(frozen=True)
class RecommendationRule:
    id: str
    condition: str
    intervention_types: tuple[str, ...]
    suggestion: str
    rationale: str
    priority: int
    applies: Callable[[IntakeFindings, RecommendationSettings], bool]


def _moderate_or_severe(f: IntakeFindings) -> bool:
    return f.use_disorder_severity in ("moderate", "severe")


RULES: tuple[RecommendationRule, ...] = (
    RecommendationRule(
        id="suicide_risk_safety_first",
        condition="An open suicide-risk alert or finding",
        intervention_types=("individual_counseling",),
        suggestion="Same-day suicide risk assessment and a safety plan before other planning.",
        rationale="Safety comes before any other treatment decision (clinical reference §5).",
        priority=0,
        applies=lambda f, s: f.suicide_risk_open,
    ),
    RecommendationRule(
        id="pregnancy_prescriber_review",
        condition="Pregnant, with a kratom use disorder",
        intervention_types=("medication_treatment", "medical_monitoring", "referral"),
        suggestion="Prescriber review with obstetric input before any taper or medication change.",
        rationale="No kratom taper guideline exists; in opioid use disorder, supervised "
        "withdrawal in pregnancy is generally avoided in favour of agonist treatment.",
        priority=10,
        applies=lambda f, s: f.pregnancy is True and f.has_disorder,
    ),
    RecommendationRule(
        id="opioid_or_7oh_medication_review",
        condition="7-hydroxymitragynine (7-OH) use or opioid co-use",
        intervention_types=("medication_treatment",),
        suggestion="Medical review for medication treatment (for example buprenorphine).",
        rationale="7-OH products are far more potent than leaf and opioid co-use raises risk; "
        "buprenorphine is the most used medication for kratom use disorder.",
        priority=10,
        applies=lambda f, s: f.seven_oh_use or f.opioid_co_use,
    ),
    RecommendationRule(
        id="taper_with_monitoring",
        condition="Moderate or severe use disorder with daily use (not pregnant)",
        intervention_types=("taper", "medical_monitoring"),
        suggestion="Clinician-set gradual dose reduction with withdrawal monitoring (COWS).",
        rationale="Daily use of an opioid-like substance brings withdrawal on stopping; no taper "
        "guideline exists, so the clinician sets every taper parameter.",
        priority=20,
        applies=lambda f, s: _moderate_or_severe(f) and f.daily_use and f.pregnancy is not True,
    ),
    RecommendationRule(
        id="liver_baseline_labs",
        condition="History of liver disease or liver injury",
        intervention_types=("medical_monitoring",),
        suggestion="Baseline liver tests (ALT, AST, ALP, total bilirubin, INR).",
        rationale="Kratom-associated liver injury appears about 3 weeks after exposure; a "
        "baseline makes later changes interpretable.",
        priority=25,
        applies=lambda f, s: f.liver_history,
    ),
    RecommendationRule(
        id="low_readiness_met_first",
        condition="Readiness ruler at or below the low-readiness threshold",
        intervention_types=("met",),
        suggestion="Motivational enhancement first (about 4 sessions).",
        rationale="Low importance or readiness predicts disengagement; MET builds motivation "
        "before skills-based work.",
        priority=30,
        applies=lambda f, s: f.readiness is not None and f.readiness <= s.low_readiness_max,
    ),
    RecommendationRule(
        id="mood_anxiety_cbt_and_psychiatric_review",
        condition="PHQ-9 or GAD-7 at or above its threshold",
        intervention_types=("cbt", "referral"),
        suggestion="CBT and a psychiatric review of depressive or anxiety symptoms.",
        rationale="Depression or anxiety in the moderate band or above needs treatment in its own "
        "right and a psychiatric assessment; PHQ-9 10 starts its moderate band, GAD-7 10 is its "
        "positive screen.",
        priority=40,
        applies=lambda f, s: (
            (f.phq9_total is not None and f.phq9_total >= s.phq9_min)
            or (f.gad7_total is not None and f.gad7_total >= s.gad7_min)
        ),
    ),
    RecommendationRule(
        id="alcohol_brief_intervention",
        condition="AUDIT-C positive",
        intervention_types=("individual_counseling",),
        suggestion="Alcohol brief intervention.",
        rationale="A positive AUDIT-C suggests hazardous drinking, for which a brief "
        "intervention is the usual first step; alcohol also adds to liver risk.",
        priority=45,
        applies=lambda f, s: f.audit_c_positive,
    ),
    RecommendationRule(
        id="disorder_education_and_peer_support",
        condition="Any kratom use disorder",
        intervention_types=("psychoeducation", "peer_support"),
        suggestion="Psychoeducation about kratom, withdrawal and 7-OH products; peer support.",
        rationale="Offered to everyone with a use disorder as a foundation of treatment.",
        priority=90,
        applies=lambda f, s: f.has_disorder,
    ),
)


@dataclass(frozen=True)
class Reason:
    rule_id: str
    suggestion: str
    rationale: str


@dataclass(frozen=True)
class Recommendation:
    """A suggested intervention type and every rule that suggested it; never an order."""

    intervention_type: str
    priority: int
    reasons: tuple[Reason, ...]


def fired_rules(
    findings: IntakeFindings, settings: RecommendationSettings = DEFAULT_SETTINGS
) -> list[RecommendationRule]:
    """The rules whose condition holds, in priority order."""
    return sorted(
        (rule for rule in RULES if rule.applies(findings, settings)), key=lambda r: r.priority
    )


def recommend(
    findings: IntakeFindings, settings: RecommendationSettings = DEFAULT_SETTINGS
) -> list[Recommendation]:
    """One recommendation per intervention type, ordered by priority then vocabulary order."""
    reasons: dict[str, list[Reason]] = defaultdict(list)
    priority: dict[str, int] = {}
    for rule in fired_rules(findings, settings):
        for kind in rule.intervention_types:
            reasons[kind].append(Reason(rule.id, rule.suggestion, rule.rationale))
            priority[kind] = min(priority.get(kind, rule.priority), rule.priority)
    ordered = sorted(reasons, key=lambda k: (priority[k], INTERVENTION_TYPES.index(k)))
    return [Recommendation(k, priority[k], tuple(reasons[k])) for k in ordered]


def _check_rules() -> None:
    """Fail at import if a rule names an intervention type outside the plan vocabulary."""
    ids = [rule.id for rule in RULES]
    if len(set(ids)) != len(ids):
        raise ValueError("duplicate recommendation rule id")
    for rule in RULES:
        unknown = set(rule.intervention_types) - set(INTERVENTION_TYPES)
        if unknown:
            raise ValueError(f"rule {rule.id}: unknown intervention types {sorted(unknown)}")


_check_rules()
