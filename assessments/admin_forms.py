"""Admin forms for administering an instrument: generated from the published definition.

Choice items render as radio buttons carrying the scale's own values (never a free number box);
only the explicit integer items (the COWS resting pulse, the Readiness Ruler) get a bounded number
input. Validation and scoring stay in the service: these forms only collect answers.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminSplitDateTime, AutocompleteSelect
from django.utils import timezone

from assessments.instrument_catalog import published_definitions
from assessments.models import Assessment
from patients.models import Patient

ANSWERS_PREFIX = "answers"


class PatientAutocomplete(AutocompleteSelect):
    """Django's widget looks submitted values up as primary keys; a malformed one must not 500."""

    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, [v for v in value if _is_uuid(v)], attr)


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def instrument_choices() -> list[tuple[str, str]]:
    return [(d["code"], d["title"]) for d in published_definitions()]


class AdministerStartForm(forms.Form):
    """Step 1: which patient (only those the user may see) and which instrument."""

    patient = forms.ModelChoiceField(queryset=Patient.objects.none())
    instrument = forms.ChoiceField(choices=())

    def __init__(self, *args, user, admin_site=admin.site, **kwargs):
        super().__init__(*args, **kwargs)
        # The widget first: setting the queryset hands its choices to the widget.
        self.fields["patient"].widget = PatientAutocomplete(
            Assessment._meta.get_field("patient"), admin_site
        )
        self.fields["patient"].queryset = Patient.objects.visible_to(user).active()
        self.fields["instrument"].choices = instrument_choices()


class AdministerDetailsForm(AdministerStartForm):
    """Step 2, the parts that are not answers: when and in which setting."""

    setting = forms.ChoiceField(
        choices=Assessment.Setting.choices,
        widget=forms.RadioSelect,
        initial=Assessment.Setting.INTAKE,
    )
    administered_at = forms.SplitDateTimeField(
        widget=AdminSplitDateTime, required=False, help_text="Leave empty for now."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["patient"].widget = forms.HiddenInput()
        self.fields["instrument"].widget = forms.HiddenInput()
        if not self.is_bound:
            self.fields["administered_at"].initial = timezone.localtime()


def _choice_field(item: dict[str, Any]) -> forms.Field:
    values = [c["value"] for c in item["choices"]]
    numeric = all(isinstance(v, int) for v in values)
    return forms.TypedChoiceField(
        label=item["display_text"],
        help_text=item["help"],
        required=item["required"],
        choices=[
            (
                str(c["value"]),
                f"{c['value']}: {c['display_text']}" if numeric else c["display_text"],
            )
            for c in item["choices"]
        ],
        coerce=int if numeric else str,
        empty_value=None,
        widget=forms.RadioSelect,
    )


def _integer_field(item: dict[str, Any]) -> forms.Field:
    return forms.IntegerField(
        label=item["display_text"],
        help_text=item["help"],
        required=item["required"],
        min_value=item["min_value"],
        max_value=item["max_value"],
    )


def answers_form_class(definition: dict[str, Any]) -> type[forms.Form]:
    """A form class with one field per item, named by item code (prefix ``answers-``)."""
    fields = {
        item["code"]: _integer_field(item) if item["kind"] == "integer" else _choice_field(item)
        for item in definition["items"]
    }
    return type(f"{definition['code']}AnswersForm", (forms.Form,), fields)


def answers_from(form: forms.Form) -> dict[str, Any]:
    """Answered items only: an unanswered optional item is left out, as the API would."""
    return {code: value for code, value in form.cleaned_data.items() if value is not None}


class AlertNoteForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        required=False,
        max_length=2000,
        help_text="What was done. Optional to acknowledge, required to resolve.",
    )
