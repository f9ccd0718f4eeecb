"""Admin for the intake records: substance history, diagnoses, level of care.

Records are entered whole and saved by the services (the record and its rows in one
transaction); afterwards they are read-only, except a diagnosis's status. Permissions, site
scoping and read auditing come from ClinicModelAdmin and the permission matrix, so front desk
sees none of it.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join

from assessments import asam
from assessments import diagnosis as dx_rules
from assessments import history_rules as rules
from assessments.models import (
    Allergy,
    CurrentMedication,
    Diagnosis,
    DimensionRating,
    KratomProductUse,
    LevelOfCareDetermination,
    OtherSubstanceUse,
    PriorTreatment,
    SubstanceHistory,
)
from assessments.models.diagnosis import REMISSIONS, SEVERITIES, WITHDRAWALS
from assessments.services import diagnosis as dx_services
from assessments.services import history as history_services
from assessments.services import level_of_care as loc_services
from clinic import access
from clinic.admin_base import ClinicModelAdmin
from clinic.errors import Conflict
from patients.models import Patient


def _visible_patients(request):
    return Patient.objects.visible_to(request.user).filter(archived_at__isnull=True)


class _EnteredOnceMixin:
    """Records are entered whole on the add page, then kept as they are."""

    def has_change_permission(self, request, obj=None):
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "patient":
            kwargs["queryset"] = _visible_patients(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @staticmethod
    def _mark_saved(obj, created) -> None:
        obj.pk = created.pk
        obj._state.adding = False

    @staticmethod
    def _no_formset_saves(formsets) -> None:
        # The service saved the rows; the admin's change message expects these lists.
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


class _RowInline(admin.TabularInline):
    """Rows of a record: entered with the record on its add page, read-only afterwards."""

    record_type = ""
    extra = 0
    can_delete = False
    show_change_link = False

    def has_view_permission(self, request, obj=None):
        return access.can(request.user, self.record_type, "view")

    def has_add_permission(self, request, obj=None):
        return obj is None and access.can(request.user, self.record_type, "add")

    def has_change_permission(self, request, obj=None):
        return obj is None and access.can(request.user, self.record_type, "add")

    def has_delete_permission(self, request, obj=None):
        return False


# --- Substance-use history -----------------------------------------------------------------------


class _HistoryInline(_RowInline):
    record_type = history_services.RECORD_TYPE


class ProductInline(_HistoryInline):
    model = KratomProductUse
    extra = 1
    fields = [
        "form",
        "form_other",
        "amount",
        "unit",
        "mg_per_unit",
        "capsule_contents",
        "doses_per_day",
        "years_of_use",
        "age_at_first_use",
        "last_use_at",
        "route",
        "route_other",
    ]


class OtherSubstanceInline(_HistoryInline):
    model = OtherSubstanceUse
    fields = ["substance", "substance_other", "frequency", "last_use_on"]


class PriorTreatmentInline(_HistoryInline):
    model = PriorTreatment
    fields = [
        "setting",
        "setting_other",
        "medication",
        "medication_other",
        "start_date",
        "end_date",
        "outcome",
    ]


class MedicationInline(_HistoryInline):
    model = CurrentMedication
    fields = ["name", "dose", "qt_prolonging"]


class AllergyInline(_HistoryInline):
    model = Allergy
    fields = ["substance", "reaction", "severity"]


def _checkboxes(codes, label):
    return forms.MultipleChoiceField(
        label=label,
        choices=rules.choices(codes),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


class SubstanceHistoryForm(forms.ModelForm):
    reasons_for_use = _checkboxes(rules.REASONS_FOR_USE, "Reasons for use")
    withdrawal_symptoms = _checkboxes(rules.WITHDRAWAL_SYMPTOMS, "Worst withdrawal symptoms")
    psychiatric_conditions = _checkboxes(rules.PSYCHIATRIC_CONDITIONS, "Psychiatric conditions")

    class Meta:
        model = SubstanceHistory
        fields = ["patient", *sorted(history_services.RECORD_FIELDS)]


@admin.register(SubstanceHistory)
class SubstanceHistoryAdmin(_EnteredOnceMixin, ClinicModelAdmin):
    """A new intake supersedes the patient's current one; older revisions stay viewable."""

    record_type = history_services.RECORD_TYPE
    site_path = "patient__site"
    patient_path = "patient_id"
    form = SubstanceHistoryForm
    inlines = [
        ProductInline,
        OtherSubstanceInline,
        PriorTreatmentInline,
        MedicationInline,
        AllergyInline,
    ]
    list_display = ["patient", "revision", "is_current", "goal", "recorded_at", "recorded_by"]
    list_filter = ["is_current", "goal"]
    list_select_related = ["patient", "recorded_by"]
    autocomplete_fields = ["patient"]
    readonly_fields = [
        "revision",
        "is_current",
        "recorded_by",
        "recorded_at",
        "superseded_at",
        "leaf_equivalent",
        "not_converted",
        "flags",
    ]
    fieldsets = [
        (
            "Patient and revision",
            {
                "fields": [
                    "patient",
                    ("revision", "is_current"),
                    ("recorded_by", "recorded_at", "superseded_at"),
                ],
                "description": "Saving a new intake supersedes the patient's current one.",
            },
        ),
        (
            "Derived values (computed from the rows, never typed)",
            {"fields": ["leaf_equivalent", "not_converted", "flags"]},
        ),
        ("Reasons for use", {"fields": ["reasons_for_use", "reasons_for_use_other"]}),
        (
            "Withdrawal history",
            {
                "fields": [
                    "withdrawal_symptoms",
                    "withdrawal_symptoms_other",
                    ("withdrawal_seizures", "withdrawal_hospitalised"),
                ]
            },
        ),
        (
            "Medical history relevant to kratom",
            {
                "fields": [
                    ("liver_disease", "hypertension", "seizure_disorder"),
                    ("cardiac_arrhythmia", "qt_prolonging_medications"),
                    ("pregnancy_status", "pregnancy_weeks"),
                ]
            },
        ),
        (
            "Psychiatric history",
            {
                "fields": [
                    "psychiatric_conditions",
                    "psychiatric_conditions_other",
                    ("prior_suicide_attempt", "psychiatric_hospitalisation"),
                    "current_mental_health_care",
                    "psychiatric_notes",
                ]
            },
        ),
        (
            "Social situation",
            {"fields": [("employment", "housing"), ("relationship", "legal")]},
        ),
        ("The patient's goal, in their own words", {"fields": ["goal", "goal_in_own_words"]}),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related("products", "other_substances", "medications")
        )

    def _derived(self, obj):
        if obj is None or obj._state.adding:
            return None
        return obj.derived()

    @admin.display(description="Leaf-equivalent grams per day")
    def leaf_equivalent(self, obj):
        derived = self._derived(obj)
        if derived is None:
            return "Computed when saved."
        if derived.leaf_equivalent_g_per_day is None:
            return "None: no leaf powder or leaf-powder capsules recorded."
        return f"{derived.leaf_equivalent_g_per_day} g/day"

    @admin.display(description="Not converted to leaf grams")
    def not_converted(self, obj):
        derived = self._derived(obj)
        if derived is None or not derived.unconverted:
            return "-"
        return format_html_join(
            "",
            "<div>{}: {} {}/day{}. {}</div>",
            (
                (
                    rules.PRODUCT_FORMS.get(u.form, u.form),
                    u.amount_per_day.normalize(),
                    u.unit,
                    f" ({u.mg_per_day.normalize()} mg/day)" if u.mg_per_day is not None else "",
                    u.note,
                )
                for u in derived.unconverted
            ),
        )

    @admin.display(description="Flags")
    def flags(self, obj):
        derived = self._derived(obj)
        if derived is None:
            return "-"
        named = {
            "daily use": derived.daily_use,
            "7-OH use": derived.seven_oh_use,
            "opioid co-use": derived.opioid_co_use,
            "QT-prolonging medication": derived.qt_prolonging_medication,
        }
        return ", ".join(f"{name}: {'yes' if on else 'no'}" for name, on in named.items())

    def save_model(self, request, obj, form, change):
        """Nothing yet: the service saves the record with its rows in save_related."""

    def save_related(self, request, form, formsets, change):
        data = {
            name: form.cleaned_data[name]
            for name in history_services.RECORD_FIELDS
            if name in form.cleaned_data
        }
        for formset in formsets:
            name = formset.fk.remote_field.get_accessor_name()
            allowed = history_services.CHILD_FIELDS[name]
            data[name] = [
                {k: v for k, v in f.cleaned_data.items() if k in allowed}
                for f in formset.forms
                if f.has_changed() and f.cleaned_data and not f.cleaned_data.get("DELETE")
            ]
        self._no_formset_saves(formsets)
        created = history_services.substance_history_record(
            patient=form.cleaned_data["patient"], user=request.user, data=data
        )
        self._mark_saved(form.instance, created)


# --- Diagnosis -----------------------------------------------------------------------------------

_KEEP = [("", "As suggested")]


class DiagnosisConfirmForm(forms.ModelForm):
    """The checklist, the suggestion it gives (shown as the code field's message until a code
    is chosen) and the clinician's confirmation."""

    criteria_met_choices = forms.TypedMultipleChoiceField(
        label="DSM-5-TR criteria met (12 months)",
        choices=[(n, f"{n}. {text}") for n, text in dx_rules.CRITERIA.items()],
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    months_since = forms.IntegerField(
        label="Months since a criterion other than craving was last met",
        min_value=0,
        required=False,
        help_text="Leave empty when one is met now.",
    )
    checklist_withdrawal = forms.ChoiceField(
        label="Withdrawal now", choices=WITHDRAWALS, initial="none"
    )
    in_controlled_environment = forms.BooleanField(required=False)
    on_maintenance_therapy = forms.BooleanField(required=False)
    code = forms.ChoiceField(
        label="ICD-10-CM code to confirm",
        required=False,
        help_text="Leave empty to see the suggestion first; another code needs a reason.",
    )
    confirmed_severity = forms.ChoiceField(choices=_KEEP + SEVERITIES, required=False)
    confirmed_remission = forms.ChoiceField(choices=_KEEP + REMISSIONS, required=False)
    confirmed_withdrawal = forms.ChoiceField(choices=_KEEP + WITHDRAWALS, required=False)
    replace_open = forms.BooleanField(
        label="Resolve the patient's open diagnosis for this substance", required=False
    )

    class Meta:
        model = Diagnosis
        fields = ["patient", "substance", "onset_date", "change_reason"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        table = dx_rules.load_code_table()
        self.fields["code"].choices = [("", "---------")] + [
            (row.code, f"{row.code} {row.title}") for row in table.rows
        ]

    def _checklist(self):
        data = self.cleaned_data
        return {
            "criteria_met": data.get("criteria_met_choices") or [],
            "months_since_last_met": data.get("months_since"),
            "withdrawal": data.get("checklist_withdrawal") or "none",
            "substance": data.get("substance") or "kratom",
            "controlled_environment": bool(data.get("in_controlled_environment")),
            "on_maintenance": bool(data.get("on_maintenance_therapy")),
        }

    def service_arguments(self):
        data = self.cleaned_data
        return {
            **self._checklist(),
            "icd10_code": data.get("code") or None,
            "severity": data.get("confirmed_severity") or None,
            "remission": data.get("confirmed_remission") or None,
            "confirmed_withdrawal": data.get("confirmed_withdrawal") or None,
            "change_reason": data.get("change_reason") or "",
            "onset_date": data.get("onset_date"),
        }

    def clean(self):
        data = super().clean()
        patient = data.get("patient")
        if self.errors or patient is None:
            return data
        try:
            suggestion = dx_services.diagnosis_suggest(**self._checklist())
        except ValidationError as exc:
            self._add_service_errors(exc)
            return data
        if not data.get("code"):
            self.add_error(
                "code",
                f"Suggested: {suggestion.icd10_code or 'no code'} - {suggestion.display}. "
                "Choose this code to confirm it, or another code with a reason.",
            )
            return data
        try:
            dx_services.diagnosis_prepare(
                patient=patient, user=self.user, **self.service_arguments()
            )
        except ValidationError as exc:
            self._add_service_errors(exc)
            return data
        current = dx_services.open_diagnosis(patient=patient, substance=suggestion.substance)
        self.replaces = current if data.get("replace_open") else None
        if current is not None and not data.get("replace_open"):
            self.add_error(
                "replace_open",
                f"The patient has an open diagnosis ({current.icd10_code}) for this substance: "
                "tick this to resolve it, or change its status first.",
            )
        return data

    def _post_clean(self):
        """No model validation of a half-built instance: diagnosis_prepare checked it all."""

    _FIELD_MAP = {
        "criteria_met": "criteria_met_choices",
        "months_since_last_met": "months_since",
        "withdrawal": "checklist_withdrawal",
        "controlled_environment": "in_controlled_environment",
        "on_maintenance": "on_maintenance_therapy",
        "icd10_code": "code",
        "severity": "confirmed_severity",
        "remission": "confirmed_remission",
    }

    def _add_service_errors(self, exc: ValidationError) -> None:
        for field, messages in exc.message_dict.items():
            target = self._FIELD_MAP.get(field, field)
            self.add_error(target if target in self.fields else None, messages)


class DiagnosisStatusForm(forms.ModelForm):
    class Meta:
        model = Diagnosis
        fields = ["status", "status_reason"]

    def clean(self):
        data = super().clean()
        if "status" in self.changed_data and not self.errors:
            original = Diagnosis.objects.get(pk=self.instance.pk)
            try:
                dx_services.diagnosis_check_status(
                    diagnosis=original,
                    status=data["status"],
                    reason=data.get("status_reason") or "",
                )
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    self.add_error(field if field in self.fields else None, messages)
            except Conflict as exc:
                self.add_error("status", exc.detail)
        return data


@admin.register(Diagnosis)
class DiagnosisAdmin(ClinicModelAdmin):
    """Problem list: the suggestion beside the confirmed code; later, only the status changes."""

    record_type = dx_services.RECORD_TYPE
    site_path = "patient__site"
    patient_path = "patient_id"
    list_display = [
        "patient",
        "icd10_code",
        "display",
        "status",
        "suggested_code",
        "code_changed",
        "confirmed_at",
    ]
    list_filter = ["status", "code_changed", "severity"]
    list_select_related = ["patient"]
    autocomplete_fields = ["patient"]
    readonly_fields = [
        "patient",
        "substance",
        "suggestion_and_confirmation",
        "criteria_met",
        "months_since_last_met",
        "specifiers",
        "onset_date",
        "change_reason",
        "confirmed_by",
        "confirmed_at",
        "status_changed_at",
        "status_changed_by",
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            form = DiagnosisConfirmForm

            class _Bound(form):
                def __init__(self, *args, **kw):
                    super().__init__(*args, user=request.user, **kw)

            kwargs["form"] = _Bound
            kwargs["fields"] = None
            return super().get_form(request, obj, change, **kwargs)
        kwargs["form"] = DiagnosisStatusForm
        kwargs["fields"] = ["status", "status_reason"]
        return super().get_form(request, obj, change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [
                (None, {"fields": ["patient", "substance"]}),
                (
                    "DSM-5-TR checklist",
                    {
                        "fields": [
                            "criteria_met_choices",
                            "months_since",
                            "checklist_withdrawal",
                            ("in_controlled_environment", "on_maintenance_therapy"),
                        ]
                    },
                ),
                (
                    "Confirmation",
                    {
                        "fields": [
                            "code",
                            ("confirmed_severity", "confirmed_remission", "confirmed_withdrawal"),
                            "change_reason",
                            "onset_date",
                            "replace_open",
                        ]
                    },
                ),
            ]
        return [
            (None, {"fields": ["patient", "substance", "suggestion_and_confirmation"]}),
            (
                "Checklist",
                {"fields": ["criteria_met", "months_since_last_met", "specifiers", "onset_date"]},
            ),
            ("Confirmation", {"fields": ["change_reason", "confirmed_by", "confirmed_at"]}),
            (
                "Status",
                {"fields": ["status", "status_reason", "status_changed_at", "status_changed_by"]},
            ),
        ]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "patient":
            kwargs["queryset"] = _visible_patients(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="Suggested / confirmed")
    def suggestion_and_confirmation(self, obj):
        return format_html(
            "<div>Suggested: <strong>{}</strong> {}</div>"
            "<div>Confirmed: <strong>{}</strong> {} ({}, remission {}, withdrawal {})</div>"
            "<div>Clinician changed the code: {}</div>",
            obj.suggested_code or "no code",
            obj.suggested_display,
            obj.icd10_code,
            obj.display,
            obj.severity,
            obj.remission,
            obj.withdrawal,
            "yes" if obj.code_changed else "no",
        )

    def save_model(self, request, obj, form, change):
        if change:
            if "status" in form.changed_data or "status_reason" in form.changed_data:
                dx_services.diagnosis_update_status(
                    diagnosis=obj,
                    user=request.user,
                    status=form.cleaned_data["status"],
                    reason=form.cleaned_data.get("status_reason") or "",
                )
            return
        created = dx_services.diagnosis_confirm(
            patient=form.cleaned_data["patient"],
            user=request.user,
            replaces=getattr(form, "replaces", None),
            **form.service_arguments(),
        )
        obj.pk = created.pk
        obj._state.adding = False


# --- Level of care -------------------------------------------------------------------------------


def _edition_for(request, obj=None) -> str:
    if obj is not None:
        return obj.edition
    edition = request.POST.get("edition") or request.GET.get("edition") or "3"
    return edition if edition in asam.EDITIONS else "3"


class DimensionRatingFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        seen = [
            f.cleaned_data["dimension"]
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        edition = self.instance.edition if self.instance.edition in asam.EDITIONS else "3"
        expected = [d.code for d in asam.dimensions(edition)]
        if sorted(seen) != expected:
            raise ValidationError("Rate each of the six dimensions once, with a rationale.")


class DimensionRatingInline(_RowInline):
    model = DimensionRating
    record_type = loc_services.RECORD_TYPE
    formset = DimensionRatingFormSet
    fields = ["dimension", "rating", "rationale"]
    extra = 6
    max_num = 6

    def get_extra(self, request, obj=None, **kwargs):
        return 6 if obj is None else 0

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "dimension" and field is not None:
            field.choices = [
                (d.code, f"{d.number}. {d.name}") for d in asam.dimensions(_edition_for(request))
            ]
        return field


class LevelOfCareForm(forms.ModelForm):
    class Meta:
        model = LevelOfCareDetermination
        fields = [
            "patient",
            "edition",
            "indicated_level",
            "provided_level",
            "difference_reason",
            "difference_note",
            "assessed_on",
        ]


@admin.register(LevelOfCareDetermination)
class LevelOfCareAdmin(_EnteredOnceMixin, ClinicModelAdmin):
    """Six dimension ratings with rationale (never averaged) and the edition's level choices."""

    record_type = loc_services.RECORD_TYPE
    site_path = "patient__site"
    patient_path = "patient_id"
    form = LevelOfCareForm
    inlines = [DimensionRatingInline]
    list_display = [
        "patient",
        "edition",
        "indicated_level",
        "provided_level",
        "assessed_on",
        "is_current",
    ]
    list_filter = ["edition", "is_current"]
    list_select_related = ["patient"]
    autocomplete_fields = ["patient"]

    def get_readonly_fields(self, request, obj=None):
        return ["assessor", "is_current", "replaced_at"] if obj is not None else []

    def get_fields(self, request, obj=None):
        fields = list(LevelOfCareForm.Meta.fields)
        return [*fields, "assessor", "is_current", "replaced_at"] if obj is not None else fields

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, DimensionRatingInline) and (obj is None or obj._state.adding):
            kwargs["initial"] = [
                {"dimension": d.code} for d in asam.dimensions(_edition_for(request))
            ]
        return kwargs

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if obj is None:
            edition = _edition_for(request)
            levels = [(lv.code, f"{lv.code} {lv.name}") for lv in asam.levels(edition)]
            form.base_fields["edition"].initial = edition
            form.base_fields["edition"].help_text = format_html(
                "Level choices below are for edition {}. Switch the form to "
                '<a href="?edition=3">edition 3</a> or <a href="?edition=4">edition 4</a>.',
                edition,
            )
            form.base_fields["indicated_level"] = forms.ChoiceField(choices=levels)
            form.base_fields["provided_level"] = forms.ChoiceField(
                choices=[("", "Pending"), *levels], required=False
            )
        return form

    def save_model(self, request, obj, form, change):
        """Nothing yet: the service saves the determination with its ratings in save_related."""

    def save_related(self, request, form, formsets, change):
        data = form.cleaned_data
        ratings = [
            {k: f.cleaned_data[k] for k in ("dimension", "rating", "rationale")}
            for formset in formsets
            for f in formset.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        self._no_formset_saves(formsets)
        created = loc_services.level_of_care_record(
            patient=data["patient"],
            user=request.user,
            edition=data["edition"],
            ratings=ratings,
            indicated_level=data["indicated_level"],
            provided_level=data.get("provided_level") or "",
            difference_reason=data.get("difference_reason") or "",
            difference_note=data.get("difference_note") or "",
            assessed_on=data.get("assessed_on"),
        )
        self._mark_saved(form.instance, created)
