"""Building blocks shared by every clinical instrument.

An instrument is data (a versioned :class:`InstrumentDefinition`: items, allowed values, bands,
flags, codes) plus a pure scoring function. Nothing here touches Django or a database, so scoring
can be tested exhaustively and re-run later on stored raw answers.

Item wording is often copyrighted: definitions carry short topic labels in our own words only. A
clinic holding a licence can show official wording through :func:`apply_display_text`.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise
from pathlib import Path
from typing import Any

KIND_CHOICE = "choice"
KIND_INTEGER = "integer"
NON_FIELD_ERRORS = "non_field_errors"

# Keys that look like item codes may be named in error messages; anything else might be free text
# (possibly identifying), so it is reported without being echoed.
_CODE_LIKE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")


def _is_int(value: object) -> bool:
    """True for real integers only: bool is an int subclass but never a valid answer."""
    return isinstance(value, int) and not isinstance(value, bool)


def _same_value(a: object, b: object) -> bool:
    """Equality that does not let True stand for 1 or 1.0 for 1."""
    return type(a) is type(b) and a == b


def _format_values(values: Iterable[object]) -> str:
    return ", ".join(
        "null" if v is None else repr(v) if isinstance(v, str) else str(v) for v in values
    )


@dataclass(frozen=True)
class Choice:
    """One enumerated answer: the stored value and a short label in our own words."""

    value: int | str
    label: str

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "label": self.label, "display_text": self.label}


@dataclass(frozen=True)
class Item:
    """One question.

    Items are multiple choice (``kind="choice"``). A raw number is allowed only where the instrument
    itself takes one (COWS resting pulse, Readiness Ruler positions): ``kind="integer"`` with an
    inclusive ``min_value``/``max_value``, so a form generator can still render a bounded input.
    ``scored`` says whether the item counts towards the total or a subscale.
    """

    code: str
    label: str
    choices: tuple[Choice, ...] = ()
    required: bool = True
    scored: bool = True
    loinc: str = ""
    help: str = ""
    kind: str = KIND_CHOICE
    min_value: int | None = None
    max_value: int | None = None

    def __post_init__(self) -> None:
        if not _CODE_LIKE.match(self.code):
            raise ValueError(f"Item code {self.code!r} is not a valid code.")
        if self.kind == KIND_CHOICE:
            values = [c.value for c in self.choices]
            if not values:
                raise ValueError(f"{self.code}: a choice item needs choices.")
            if len(set(values)) != len(values):
                raise ValueError(f"{self.code}: choice values must be unique.")
            if not (all(_is_int(v) for v in values) or all(isinstance(v, str) for v in values)):
                raise ValueError(f"{self.code}: choice values must be all integers or all text.")
            if self.min_value is not None or self.max_value is not None:
                raise ValueError(f"{self.code}: min/max apply to integer items only.")
        elif self.kind == KIND_INTEGER:
            if self.choices:
                raise ValueError(f"{self.code}: an integer item has no choices.")
            if not (_is_int(self.min_value) and _is_int(self.max_value)):
                raise ValueError(f"{self.code}: an integer item needs integer min and max.")
            if self.min_value > self.max_value:  # type: ignore[operator]
                raise ValueError(f"{self.code}: min_value is above max_value.")
        else:
            raise ValueError(f"{self.code}: unknown kind {self.kind!r}.")

    @property
    def allowed_values(self) -> tuple[int | str, ...]:
        return tuple(c.value for c in self.choices)

    @property
    def value_range(self) -> tuple[int, int]:
        """Lowest and highest numeric value the item can take (for ranges of totals)."""
        if self.kind == KIND_INTEGER:
            return self.min_value, self.max_value  # type: ignore[return-value]
        numbers = [v for v in self.allowed_values if _is_int(v)]
        if not numbers:
            raise ValueError(f"{self.code} has no numeric range.")
        return min(numbers), max(numbers)

    def check(self, value: object) -> str | None:
        """Return an error message for ``value`` or None. Never includes the submitted value."""
        if self.kind == KIND_INTEGER:
            if _is_int(value) and self.min_value <= value <= self.max_value:  # type: ignore[operator]
                return None
            return f"{self.code} must be a whole number from {self.min_value} to {self.max_value}."
        allowed = self.allowed_values
        if any(_same_value(value, a) for a in allowed):
            return None
        kind = "text values" if isinstance(allowed[0], str) else "whole numbers"
        return f"{self.code} must be one of the {kind} {_format_values(allowed)}."

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "label": self.label,
            "display_text": self.label,
            "kind": self.kind,
            "required": self.required,
            "scored": self.scored,
            "loinc": self.loinc,
            "help": self.help,
            "choices": [c.to_dict() for c in self.choices],
            "min_value": self.min_value,
            "max_value": self.max_value,
        }


@dataclass(frozen=True)
class Band:
    """A severity label for an inclusive total range; not an action (see :class:`Flag`)."""

    low: float
    high: float
    label: str
    code: str

    def contains(self, total: float) -> bool:
        return self.low <= total <= self.high

    def to_dict(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high, "label": self.label, "code": self.code}


@dataclass(frozen=True)
class Flag:
    """An action signal (positive screen, suicide risk): a stable machine code plus human text."""

    code: str
    text: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "text": self.text}


@dataclass(frozen=True)
class Subscale:
    """A named sum of items, published so integrations can see which items belong where."""

    code: str
    label: str
    items: tuple[str, ...]


@dataclass(frozen=True)
class Category:
    """A result class for instruments whose outcome is a classification, not a total (ASQ)."""

    code: str
    label: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "label": self.label}


@dataclass(frozen=True)
class Result:
    """The computed outcome of one response.

    ``band`` is a band (or category) code; ``item_scores`` holds the value each scored item
    contributed after any reversal or computation (DAST-10 item 3, COWS item 1), so the stored
    record shows how the total was reached. ``details`` carries instrument-specific facts
    (cut-off used, scale, remission).
    ``instrument`` and ``version`` are filled in by :meth:`InstrumentDefinition.score`.
    """

    total: float | None
    band: str | None = None
    band_label: str | None = None
    subscales: dict[str, float] = field(default_factory=dict)
    flags: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    item_scores: dict[str, int] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    instrument: str = ""
    version: str = ""

    @property
    def flag_codes(self) -> list[str]:
        return [f["code"] for f in self.flags]

    def to_dict(self) -> dict[str, Any]:
        return {
            "instrument": self.instrument,
            "version": self.version,
            "total": self.total,
            "band": self.band,
            "band_label": self.band_label,
            "subscales": dict(self.subscales),
            "flags": [dict(f) for f in self.flags],
            "notes": list(self.notes),
            "item_scores": dict(self.item_scores),
            "details": copy.deepcopy(self.details),
        }


class ScoringError(Exception):
    """Answers that cannot be scored: ``errors`` maps item code (or ``non_field_errors``) to
    messages. Messages name item codes and allowed values but never repeat what was submitted, so
    they are safe to log and to return to a client.
    """

    def __init__(self, errors: Mapping[str, Sequence[str]]) -> None:
        self.errors: dict[str, list[str]] = {key: list(msgs) for key, msgs in errors.items()}
        super().__init__(" ".join(m for msgs in self.errors.values() for m in msgs))


ErrorMap = dict[str, list[str]]
Scorer = Callable[..., Result]
CrossValidator = Callable[[Mapping[str, Any]], ErrorMap]


def add_error(errors: ErrorMap, key: str, message: str) -> None:
    errors.setdefault(key, []).append(message)


@dataclass(frozen=True)
class InstrumentDefinition:
    """A versioned instrument: everything needed to render, validate and score it.

    ``scorer(answers, *, context)`` receives answers already validated by :meth:`clean` (unanswered
    optional items absent) and a context holding exactly the keys in ``context_choices``.
    ``cross_validator`` checks rules that span items (ASQ item 5, Readiness Ruler scale).
    ``unknown_item_hints`` gives a clearer message for codes that are known not to be inputs.
    """

    code: str
    version: str
    title: str
    description: str
    items: tuple[Item, ...]
    bands: tuple[Band, ...]
    total_range: tuple[float, float] | None
    loinc_panel: str
    loinc_total: str
    licence: str
    allows_partial: bool
    scorer: Scorer
    flags: tuple[Flag, ...] = ()
    subscales: tuple[Subscale, ...] = ()
    categories: tuple[Category, ...] = ()
    context_choices: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    cross_validator: CrossValidator | None = None
    unknown_item_hints: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        codes = [i.code for i in self.items]
        if len(set(codes)) != len(codes):
            raise ValueError(f"{self.code}: duplicate item codes.")
        for sub in self.subscales:
            missing = set(sub.items) - set(codes)
            if missing:
                raise ValueError(f"{self.code}: subscale {sub.code} names unknown items.")
        ordered = sorted(self.bands, key=lambda b: b.low)
        for band in ordered:
            if band.low > band.high:
                raise ValueError(f"{self.code}: band {band.code} has low above high.")
        for first, second in pairwise(ordered):
            if first.high >= second.low:
                raise ValueError(f"{self.code}: bands {first.code} and {second.code} overlap.")
        if len({b.code for b in self.bands}) != len(self.bands):
            raise ValueError(f"{self.code}: duplicate band codes.")
        if len({f.code for f in self.flags}) != len(self.flags):
            raise ValueError(f"{self.code}: duplicate flag codes.")

    # -- lookups -------------------------------------------------------------------------------

    def item(self, code: str) -> Item:
        for item in self.items:
            if item.code == code:
                return item
        raise KeyError(code)

    @property
    def item_codes(self) -> tuple[str, ...]:
        return tuple(i.code for i in self.items)

    def band_for(self, total: float | None) -> Band | None:
        if total is None:
            return None
        return next((b for b in self.bands if b.contains(total)), None)

    def flag(self, code: str) -> Flag:
        for flag in self.flags:
            if flag.code == code:
                return flag
        raise KeyError(code)

    def subscale_range(self, subscale: Subscale) -> tuple[int, int]:
        ranges = [self.item(code).value_range for code in subscale.items]
        return sum(r[0] for r in ranges), sum(r[1] for r in ranges)

    # -- validation and scoring ----------------------------------------------------------------

    def clean(
        self, answers: object, *, context: object = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Validate answers and context together; raise :class:`ScoringError` with every problem.

        A ``None`` value counts as unanswered, which suits JSON forms that send null for a skipped
        optional question; for a required item it is reported as missing.
        """
        errors: ErrorMap = {}
        if not isinstance(answers, Mapping):
            raise ScoringError(
                {NON_FIELD_ERRORS: ["Answers must be an object keyed by item code."]}
            )
        by_code = {i.code: i for i in self.items}
        hints = dict(self.unknown_item_hints)
        allowed_list = ", ".join(self.item_codes)
        cleaned: dict[str, Any] = {}
        for key, value in answers.items():
            item = by_code.get(key) if isinstance(key, str) else None
            if item is None:
                if isinstance(key, str) and key in hints:
                    add_error(errors, key, hints[key])
                elif isinstance(key, str) and _CODE_LIKE.match(key):
                    add_error(
                        errors,
                        key,
                        f"{key} is not an item of {self.code}; allowed items: {allowed_list}.",
                    )
                else:
                    add_error(
                        errors,
                        NON_FIELD_ERRORS,
                        f"An answer was given under a key that is "
                        f"not an item of {self.code}; allowed items: {allowed_list}.",
                    )
                continue
            if value is None:
                continue
            message = item.check(value)
            if message:
                add_error(errors, key, message)
            else:
                cleaned[key] = value
        if not self.allows_partial:
            for item in self.items:
                if item.required and item.code not in cleaned and item.code not in errors:
                    add_error(errors, item.code, f"{item.code} is required.")
        if self.cross_validator is not None:
            # Cross-item rules see only valid answers; an item that already failed is not also
            # reported as missing.
            for key, messages in self.cross_validator(cleaned).items():
                if key != NON_FIELD_ERRORS and key in errors:
                    continue
                for message in messages:
                    add_error(errors, key, message)
        clean_context = self._clean_context(context, errors)
        if errors:
            raise ScoringError(errors)
        return cleaned, clean_context

    def _clean_context(self, context: object, errors: ErrorMap) -> dict[str, Any]:
        """Keep only the context keys this instrument uses; other keys are ignored on purpose so a
        caller can pass one patient context to every instrument."""
        if context is None:
            context = {}
        if not isinstance(context, Mapping):
            add_error(errors, NON_FIELD_ERRORS, "Context must be an object.")
            return {}
        cleaned: dict[str, Any] = {}
        for key, allowed in self.context_choices:
            value = context.get(key)
            if value is None and None in allowed:
                cleaned[key] = None
            elif any(_same_value(value, a) for a in allowed if a is not None):
                cleaned[key] = value
            else:
                add_error(
                    errors,
                    NON_FIELD_ERRORS,
                    f"Context {key} must be one of {_format_values(allowed)}.",
                )
        return cleaned

    def score(self, answers: Mapping[str, object], *, context: Mapping | None = None) -> Result:
        """Validate, then run the pure scoring function; the result names this code and version."""
        cleaned, clean_context = self.clean(answers, context=context)
        result = self.scorer(cleaned, context=clean_context)
        return replace(result, instrument=self.code, version=self.version)

    # -- publishing ----------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable definition for the API, so an integration can render a form."""
        return {
            "code": self.code,
            "version": self.version,
            "title": self.title,
            "description": self.description,
            "licence": self.licence,
            "loinc_panel": self.loinc_panel,
            "loinc_total": self.loinc_total,
            "total_range": list(self.total_range) if self.total_range is not None else None,
            "allows_partial": self.allows_partial,
            "items": [i.to_dict() for i in self.items],
            "bands": [b.to_dict() for b in self.bands],
            "flags": [f.to_dict() for f in self.flags],
            "subscales": [
                {
                    "code": s.code,
                    "label": s.label,
                    "items": list(s.items),
                    "range": list(self.subscale_range(s)),
                }
                for s in self.subscales
            ],
            "categories": [c.to_dict() for c in self.categories],
            "context": [{"key": k, "allowed": list(v)} for k, v in self.context_choices],
        }


# -- helpers for instrument modules ------------------------------------------------------------


def choices(*labels: str, start: int = 0) -> tuple[Choice, ...]:
    """Consecutive integer choices from ``start``, one per label."""
    return tuple(Choice(start + i, label) for i, label in enumerate(labels))


def sum_items(answers: Mapping[str, Any], codes: Iterable[str]) -> int:
    return sum(answers[c] for c in codes)


def band_fields(
    definition_bands: Sequence[Band], total: float | None
) -> tuple[str | None, str | None]:
    """Band code and label for ``total`` (both None when no band applies)."""
    if total is None:
        return None, None
    band = next((b for b in definition_bands if b.contains(total)), None)
    return (band.code, band.label) if band else (None, None)


# -- licensed display text -----------------------------------------------------------------------


def apply_display_text(definition_dict: Mapping[str, Any], overrides: Mapping[str, str]) -> dict:
    """Return a copy of a published definition with licensed wording as ``display_text``.

    ``overrides`` maps an item code to its official wording, or ``"<item code>:<value>"`` to the
    official wording of one answer. Our own ``label`` stays untouched so the record keeps a neutral
    topic. Unknown keys raise ``ValueError``: a wording file for another version must not silently
    show text against the wrong question.
    """
    result = copy.deepcopy(dict(definition_dict))
    items = {item["code"]: item for item in result.get("items", [])}
    unknown: list[str] = []
    for key, text in overrides.items():
        if not isinstance(text, str):
            raise ValueError(f"Display text for {key} must be text.")
        code, _, value = key.partition(":")
        item = items.get(code)
        if item is None:
            unknown.append(key)
            continue
        if not value:
            item["display_text"] = text
            continue
        choice = next((c for c in item["choices"] if str(c["value"]) == value), None)
        if choice is None:
            unknown.append(key)
        else:
            choice["display_text"] = text
    if unknown:
        raise ValueError(
            f"Display text for {result.get('code')} names unknown items or answers: "
            f"{', '.join(sorted(unknown))}."
        )
    return result


def load_display_text(path: str | Path) -> dict[str, dict[str, str]]:
    """Read a clinic's wording file.

    Shape: ``{"<instrument code>": {"<item code>": "official wording"}}``.
    """
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    if not isinstance(data, dict):
        raise ValueError("Display text file must hold an object keyed by instrument code.")
    for instrument, overrides in data.items():
        if not isinstance(overrides, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in overrides.items()
        ):
            raise ValueError(f"Display text for {instrument} must map item codes to text.")
    return data
