"""DSM-5-TR use-disorder suggestion for kratom (Other or Unknown Substance) with ICD-10-CM codes.

Pure: no Django, no database. The ICD-10-CM table is data (``data/icd10cm_sud.json``) so that
a yearly code update is a data change. The result is a *suggestion*: the clinician diagnoses.

How the inputs are read (clinical reference, section 1):

* ``criteria_met``: the DSM-5-TR criteria (1..11) met within one 12-month period. For a person
  in remission, pass the criteria of the episode in which full criteria were last met: the
  remission specifier needs "full criteria previously met", and severity is that episode's.
* ``months_since_last_met``: whole months since any criterion **other than craving (4)** was
  last met; ``None`` means such a criterion is met now (active disorder). Craving is left out
  because DSM-5-TR lets craving persist in remission. :func:`months_since_last_non_craving`
  derives the number from per-criterion months.
* Remission: ``>= 3`` months is early, ``>= 12`` sustained, and only when ``criteria_met`` has
  2 or more criteria. Fewer than 2 criteria is no disorder, hence no remission.

Withdrawal with remission is rejected (``DiagnosisError`` on ``withdrawal``): current withdrawal
means a criterion other than craving is met now, which contradicts remission, and ICD-10-CM has
no "in remission with withdrawal" code (F19.11 and F19.21 have no withdrawal subcodes). The
clinician corrects one of the two inputs; the software does not silently pick one.

"In a controlled environment" and "on maintenance therapy" are text-only specifiers (no code of
their own), accepted only in remission. The reference lists both; DSM-5-TR defines "on
maintenance therapy" for opioid and tobacco use disorders, so for kratom it is clinic usage.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

DATA_FILE = Path(__file__).resolve().parent / "data" / "icd10cm_sud.json"

CRITERIA: Mapping[int, str] = {
    1: "larger amounts or longer than intended",
    2: "wish or failed efforts to cut down",
    3: "much time obtaining, using or recovering",
    4: "craving",
    5: "role obligations failed",
    6: "use despite social problems",
    7: "activities given up",
    8: "hazardous use",
    9: "use despite physical or psychological problem",
    10: "tolerance",
    11: "withdrawal",
}
CRAVING = 4

Severity = Literal["none", "mild", "moderate", "severe"]
Remission = Literal["none", "early", "sustained"]
Withdrawal = Literal["none", "uncomplicated", "delirium", "perceptual_disturbance", "unspecified"]

WITHDRAWAL_CHOICES: tuple[str, ...] = (
    "none",
    "uncomplicated",
    "delirium",
    "perceptual_disturbance",
    "unspecified",
)
EARLY_REMISSION_MONTHS = 3
SUSTAINED_REMISSION_MONTHS = 12
SUBSTANCE_MAX_LENGTH = 60

# Phrases follow the ICD-10-CM titles ("withdrawal delirium", "withdrawal with perceptual ...").
_WITHDRAWAL_TEXT = {
    "uncomplicated": "withdrawal, uncomplicated",
    "delirium": "withdrawal delirium",
    "perceptual_disturbance": "withdrawal with perceptual disturbance",
    "unspecified": "withdrawal, unspecified",
}


class DiagnosisError(ValueError):
    """Invalid input; ``errors`` maps an argument name to messages so an API can answer 400."""

    def __init__(self, errors: Mapping[str, list[str]]):
        self.errors: dict[str, list[str]] = {field: list(msgs) for field, msgs in errors.items()}
        super().__init__(
            "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in self.errors.items())
        )


@dataclass(frozen=True)
class CodeRow:
    code: str
    title: str
    use_disorder: Literal["none", "mild", "moderate_or_severe"]
    in_remission: bool
    withdrawal: str


@dataclass(frozen=True)
class CodeTable:
    """The ICD-10-CM rows plus the code-set year and source they were taken from."""

    code_system: str
    fiscal_year: int
    effective_from: str
    effective_to: str
    source: str
    rows: tuple[CodeRow, ...]

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(row.code for row in self.rows)

    def lookup(self, use_disorder: str, in_remission: bool, withdrawal: str) -> CodeRow:
        for row in self.rows:
            if (row.use_disorder, row.in_remission, row.withdrawal) == (
                use_disorder,
                in_remission,
                withdrawal,
            ):
                return row
        raise LookupError(f"no code for {use_disorder=}, {in_remission=}, {withdrawal=}")


def load_code_table(path: Path | str | None = None) -> CodeTable:
    """Read and check a code table file; the default file is read once and cached."""
    if path is None:
        return _default_table()
    return _parse_table(json.loads(Path(path).read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def _default_table() -> CodeTable:
    return _parse_table(json.loads(DATA_FILE.read_text(encoding="utf-8")))


def _parse_table(raw: Mapping) -> CodeTable:
    rows = tuple(
        CodeRow(
            code=r["code"],
            title=r["title"],
            use_disorder=r["use_disorder"],
            in_remission=bool(r["in_remission"]),
            withdrawal=r["withdrawal"],
        )
        for r in raw["rows"]
    )
    keys = [(r.use_disorder, r.in_remission, r.withdrawal) for r in rows]
    if len(set(keys)) != len(keys) or len({r.code for r in rows}) != len(rows):
        raise ValueError("code table has duplicate rows or codes")
    for row in rows:
        if row.use_disorder not in ("none", "mild", "moderate_or_severe"):
            raise ValueError(f"{row.code}: unknown use_disorder {row.use_disorder!r}")
        if row.withdrawal not in WITHDRAWAL_CHOICES:
            raise ValueError(f"{row.code}: unknown withdrawal {row.withdrawal!r}")
    return CodeTable(
        code_system=raw["code_system"],
        fiscal_year=int(raw["fiscal_year"]),
        effective_from=raw["effective_from"],
        effective_to=raw["effective_to"],
        source=raw["source"],
        rows=rows,
    )


@dataclass(frozen=True)
class DiagnosisSuggestion:
    """What the rules suggest; the clinician confirms or changes it."""

    criteria_count: int
    criteria: frozenset[int]
    severity: Severity
    remission: Remission
    withdrawal: Withdrawal
    specifiers: tuple[str, ...]
    substance: str
    icd10_code: str | None
    icd10_title: str | None
    display: str
    code_set_year: int


def severity_for_count(count: int) -> Severity:
    """DSM-5-TR severity: 0-1 none, 2-3 mild, 4-5 moderate, 6+ severe."""
    if count < 0:
        raise ValueError("count must not be negative")
    if count <= 1:
        return "none"
    if count <= 3:
        return "mild"
    if count <= 5:
        return "moderate"
    return "severe"


def remission_for_months(months_since_last_met: int | None) -> Remission:
    """Remission from whole months since a non-craving criterion was last met (< 3 is none)."""
    if months_since_last_met is None or months_since_last_met < EARLY_REMISSION_MONTHS:
        return "none"
    if months_since_last_met < SUSTAINED_REMISSION_MONTHS:
        return "early"
    return "sustained"


def months_since_last_non_craving(months_by_criterion: Mapping[int, int]) -> int | None:
    """Months since any criterion other than craving was last met (the most recent one wins).

    ``months_by_criterion`` maps each criterion ever met to whole months since it was last met
    (0 = met now). Craving is ignored, which is what lets craving persist in remission. Returns
    ``None`` when no criterion other than craving was recorded.
    """
    errors: dict[str, list[str]] = defaultdict(list)
    for criterion, months in months_by_criterion.items():
        if not _is_int(criterion) or not 1 <= criterion <= 11:
            errors["months_by_criterion"].append(f"Unknown criterion {criterion!r}: use 1 to 11.")
        elif not _is_int(months) or months < 0:
            errors["months_by_criterion"].append(
                f"Criterion {criterion}: months must be a whole number, 0 or more."
            )
    if errors:
        raise DiagnosisError(errors)
    others = [m for c, m in months_by_criterion.items() if c != CRAVING]
    return min(others) if others else None


def suggest_diagnosis(
    criteria_met: Iterable[int],
    *,
    months_since_last_met: int | None = None,
    withdrawal: Withdrawal = "none",
    substance: str = "kratom",
    controlled_environment: bool = False,
    on_maintenance: bool = False,
) -> DiagnosisSuggestion:
    """Suggest severity, remission, specifiers and the ICD-10-CM code (see the module docstring)."""
    criteria = _validate(criteria_met, months_since_last_met, withdrawal, substance)
    substance = substance.strip()
    count = len(criteria)
    severity = severity_for_count(count)
    remission = remission_for_months(months_since_last_met) if severity != "none" else "none"

    errors: dict[str, list[str]] = defaultdict(list)
    if remission != "none" and withdrawal != "none":
        errors["withdrawal"].append(
            "Current withdrawal contradicts remission (a criterion other than craving is met now): "
            "correct the withdrawal or the months since a criterion was last met."
        )
    if controlled_environment and remission == "none":
        errors["controlled_environment"].append("This specifier applies only in remission.")
    if on_maintenance and remission == "none":
        errors["on_maintenance"].append("This specifier applies only in remission.")
    if errors:
        raise DiagnosisError(errors)

    specifiers: list[str] = []
    if remission != "none":
        specifiers.append(f"in {remission} remission")
    if controlled_environment:
        specifiers.append("in a controlled environment")
    if on_maintenance:
        specifiers.append("on maintenance therapy")

    table = load_code_table()
    group = {"none": "none", "mild": "mild"}.get(severity, "moderate_or_severe")
    row = None
    if severity != "none" or withdrawal != "none":
        row = table.lookup(group, remission != "none", withdrawal)

    return DiagnosisSuggestion(
        criteria_count=count,
        criteria=frozenset(criteria),
        severity=severity,
        remission=remission,
        withdrawal=withdrawal,
        specifiers=tuple(specifiers),
        substance=substance,
        icd10_code=row.code if row else None,
        icd10_title=row.title if row else None,
        display=_display(severity, withdrawal, specifiers, substance),
        code_set_year=table.fiscal_year,
    )


def _display(severity: str, withdrawal: str, specifiers: list[str], substance: str) -> str:
    if withdrawal != "none":
        use = "without use disorder" if severity == "none" else f"with {severity} use disorder"
        text = f"Other (or unknown) substance {_WITHDRAWAL_TEXT[withdrawal]}, {use}"
    elif severity == "none":
        text = "No substance use disorder (fewer than 2 criteria met)"
    else:
        text = ", ".join(["Other (or unknown) substance use disorder", severity, *specifiers])
    return f"{text} ({substance})"


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _validate(
    criteria_met: Iterable[int],
    months_since_last_met: int | None,
    withdrawal: str,
    substance: str,
) -> frozenset[int]:
    errors: dict[str, list[str]] = defaultdict(list)
    criteria: frozenset[int] = frozenset()
    if isinstance(criteria_met, (str, bytes, Mapping)) or not isinstance(criteria_met, Iterable):
        errors["criteria_met"].append("Must be a set of criterion numbers 1 to 11.")
    else:
        items = list(criteria_met)
        bad = [c for c in items if not _is_int(c) or not 1 <= c <= 11]
        if bad:
            errors["criteria_met"].append(f"Unknown criteria {bad!r}: use numbers 1 to 11.")
        elif len(set(items)) != len(items):
            errors["criteria_met"].append("A criterion is listed more than once.")
        else:
            criteria = frozenset(items)
    if months_since_last_met is not None and (
        not _is_int(months_since_last_met) or months_since_last_met < 0
    ):
        errors["months_since_last_met"].append("Must be a whole number of months, 0 or more.")
    if withdrawal not in WITHDRAWAL_CHOICES:
        errors["withdrawal"].append(f"Must be one of: {', '.join(WITHDRAWAL_CHOICES)}.")
    if not isinstance(substance, str) or not substance.strip():
        errors["substance"].append("Name the substance (for example kratom).")
    elif len(substance.strip()) > SUBSTANCE_MAX_LENGTH:
        errors["substance"].append(f"At most {SUBSTANCE_MAX_LENGTH} characters.")
    if errors:
        raise DiagnosisError(errors)
    return criteria
