"""Consent admin: Part 2 elements in clear fieldsets, computed status, revoke with a method."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html

from clinic import access
from clinic.admin_base import ClinicModelAdmin
from clinic.errors import ClinicError
from patients.models import Consent, Patient
from patients.models.consent import (
    ConsentStatus,
    InformationCategory,
    Purpose,
    RecipientClass,
    RevocationMethod,
)
from patients.services import consent as consent_services

# --- Consents ------------------------------------------------------------------------------------

_STATUS_COLOURS = {
    ConsentStatus.ACTIVE: "#1e7e34",
    ConsentStatus.PENDING: "#9a6700",
    ConsentStatus.EXPIRED: "#6c757d",
    ConsentStatus.REVOKED: "#b02a37",
}


def status_label(consent: Consent) -> str:
    status = ConsentStatus(consent.status)
    return format_html(
        '<span style="color:#fff;background:{};padding:1px 6px;border-radius:3px">{}</span>',
        _STATUS_COLOURS[status],
        status.label,
    )


class ConsentStatusFilter(admin.SimpleListFilter):
    """Filter on the status computed today, in the same query as the list."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return ConsentStatus.choices

    def queryset(self, request, queryset):
        if self.value() in ConsentStatus.values:
            return queryset.in_status(self.value())
        return queryset


def _checkboxes(choices) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        choices=choices, required=False, widget=forms.CheckboxSelectMultiple
    )


CONSENT_ADD_FIELDS = (
    "patient",
    "kind",
    "signed_on",
    "signature_method",
    "signer",
    "representative_name",
    "representative_relationship",
    "witness_name",
    "discloser_name",
    "recipient_name",
    "recipient_classes",
    "tpo",
    "purposes",
    "purpose_description",
    "information",
    "information_description",
    "expires_on",
    "expiry_event",
    "form_version",
)


class ConsentAdminForm(forms.ModelForm):
    """The signed form's elements. On add the service validates, so the admin holds no rules."""

    recipient_classes = _checkboxes(RecipientClass.choices)
    purposes = _checkboxes(Purpose.choices)
    information = _checkboxes(InformationCategory.choices)

    class Meta:
        model = Consent
        fields = [
            *CONSENT_ADD_FIELDS,
            "revoked_on",
            "revocation_method",
            "expiry_event_occurred_on",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance._state.adding:  # signed: only what the change fieldsets allow
            for name in ("recipient_classes", "purposes", "information"):
                self.fields.pop(name, None)

    def _post_clean(self):
        if self.instance._state.adding:
            self._post_clean_add()
        else:
            self._post_clean_change()

    def _post_clean_add(self):
        values = {f: self.cleaned_data[f] for f in CONSENT_ADD_FIELDS if f in self.cleaned_data}
        if "patient" not in values:
            return  # the field error is already there
        values["expires_on"] = values.get("expires_on") or None
        try:
            self.instance = consent_services.consent_prepare(**values)
        except ValidationError as error:
            self._update_errors(error)

    def _post_clean_change(self):
        """Only the revocation and the expiry event can be entered on a signed consent."""
        today = timezone.localdate()
        data = self.cleaned_data
        method, revoked_on = data.get("revocation_method"), data.get("revoked_on")
        if method or revoked_on:
            if not method:
                self.add_error("revocation_method", "Choose how the patient revoked.")
            else:
                errors = consent_services.revocation_errors(
                    self.instance, method=method, revoked_on=revoked_on or today, today=today
                )
                for field, messages_ in errors.items():
                    target = "revocation_method" if field == "method" else field
                    self.add_error(target, messages_)
        occurred_on = data.get("expiry_event_occurred_on")
        if occurred_on:
            errors = consent_services.expiry_event_errors(
                self.instance, occurred_on=occurred_on, today=today
            )
            for messages_ in errors.values():
                self.add_error("expiry_event_occurred_on", messages_)


class RevokeActionForm(forms.Form):
    method = forms.ChoiceField(choices=RevocationMethod.choices, label="How the patient revoked")
    revoked_on = forms.DateField(
        required=False, label="Revoked on", help_text="Leave empty for today."
    )


@admin.register(Consent)
class ConsentAdmin(ClinicModelAdmin):
    """Consents. Signed content is read-only; a correction is a new consent."""

    record_type = "consent"
    site_path = "patient__site"
    patient_path = "patient_id"
    form = ConsentAdminForm
    list_display = ["patient", "kind", "status_label", "signed_on", "expires_on", "revoked_on"]
    list_filter = ["kind", ConsentStatusFilter]
    list_select_related = ["patient"]
    search_fields = ["patient__mrn"]
    autocomplete_fields = ["patient"]
    date_hierarchy = "signed_on"
    actions = ["revoke_selected"]

    ADD_FIELDSETS = [
        (
            "Who",
            {"fields": ["patient", "signer", "representative_name", "representative_relationship"]},
        ),
        ("What", {"fields": ["kind", "information", "information_description"]}),
        (
            "Who may disclose, to whom",
            {"fields": ["discloser_name", "recipient_name", "recipient_classes", "tpo"]},
        ),
        ("Why", {"fields": ["purposes", "purpose_description"]}),
        ("Until when", {"fields": ["expires_on", "expiry_event"]}),
        (
            "Signature",
            {"fields": ["signed_on", "signature_method", "witness_name", "form_version"]},
        ),
    ]
    CHANGE_FIELDSETS = [
        ("Status", {"fields": ["status_label"]}),
        (
            "Who",
            {"fields": ["patient", "signer", "representative_name", "representative_relationship"]},
        ),
        ("What", {"fields": ["kind", "information_list", "information_description"]}),
        (
            "Who may disclose, to whom",
            {
                "fields": [
                    "discloser_name",
                    "recipient_name",
                    "recipient_class_list",
                    "tpo",
                    "tpo_statement",
                ]
            },
        ),
        ("Why", {"fields": ["purpose_list", "purpose_description"]}),
        (
            "Until when",
            {
                "fields": [
                    "expires_on",
                    "expiry_event",
                    "expiry_event_occurred_on",
                    "expiry_event_recorded_by",
                ]
            },
        ),
        (
            "Signature",
            {
                "fields": [
                    "signed_on",
                    "signature_method",
                    "witness_name",
                    "form_version",
                    "recorded_by",
                    "created_at",
                ]
            },
        ),
        (
            "Revocation",
            {
                "fields": [
                    "revocation_statement",
                    "revoked_on",
                    "revocation_method",
                    "revoked_by",
                    "revoked_at",
                ]
            },
        ),
    ]
    # On a signed consent these may still be entered, once each.
    REVOCATION_FIELDS = ("revoked_on", "revocation_method")
    EXPIRY_EVENT_FIELDS = ("expiry_event_occurred_on",)

    def get_fieldsets(self, request, obj=None):
        return self.CHANGE_FIELDSETS if obj is not None else self.ADD_FIELDSETS

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        fields = [f for _, opts in self.CHANGE_FIELDSETS for f in opts["fields"]]
        editable = set()
        if self.has_change_permission(request, obj):
            if consent_services.revocation_conflict(obj) is None:
                editable.update(self.REVOCATION_FIELDS)
            if consent_services.expiry_event_conflict(obj) is None:
                editable.update(self.EXPIRY_EVENT_FIELDS)
        return [f for f in fields if f not in editable]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "patient":
            kwargs["queryset"] = Patient.objects.visible_to(request.user).active()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="status")
    def status_label(self, obj):
        return status_label(obj)

    @admin.display(description="information")
    def information_list(self, obj):
        return ", ".join(InformationCategory(c).label for c in obj.information) or "—"

    @admin.display(description="recipient classes")
    def recipient_class_list(self, obj):
        return ", ".join(RecipientClass(c).label for c in obj.recipient_classes) or "—"

    @admin.display(description="purposes")
    def purpose_list(self, obj):
        return ", ".join(Purpose(p).label for p in obj.purposes) or "—"

    def save_model(self, request, obj, form, change):
        """Every write goes through a service; the form has already checked the same rules."""
        data = form.cleaned_data
        if not change:
            values = {f: data[f] for f in CONSENT_ADD_FIELDS if f in data}
            values["expires_on"] = values.get("expires_on") or None
            created = consent_services.consent_record(recorded_by=request.user, **values)
            obj.pk = created.pk
            obj._state.adding = False
            return
        if data.get("revocation_method"):
            consent_services.consent_revoke(
                consent=obj,
                method=data["revocation_method"],
                revoked_on=data.get("revoked_on"),
                user=request.user,
            )
        if data.get("expiry_event_occurred_on"):
            consent_services.consent_mark_expiry_event(
                consent=obj, occurred_on=data["expiry_event_occurred_on"], user=request.user
            )

    def save_related(self, request, form, formsets, change):
        """A consent has no related rows to save from this form."""

    def construct_change_message(self, request, form, formsets, add=False):
        return [{"added": {}}] if add else [{"changed": {"fields": sorted(form.changed_data)}}]

    @admin.action(description="Revoke selected consents", permissions=["change"])
    def revoke_selected(self, request, queryset):
        """Asks how the patient revoked (and when), then revokes each consent that still can be."""
        form = RevokeActionForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            revoked = skipped = 0
            for consent in queryset:
                try:
                    consent_services.consent_revoke(
                        consent=consent,
                        method=form.cleaned_data["method"],
                        revoked_on=form.cleaned_data["revoked_on"],
                        user=request.user,
                    )
                    revoked += 1
                except (ClinicError, ValidationError):
                    skipped += 1
            self.message_user(request, f"Revoked {revoked} consent(s).", messages.SUCCESS)
            if skipped:
                self.message_user(
                    request,
                    f"{skipped} consent(s) could not be revoked (already revoked, a notice "
                    "acknowledgement, or the date is outside the consent).",
                    messages.WARNING,
                )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Revoke consents",
            "opts": self.model._meta,
            "form": form,
            "consents": queryset,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/patients/consent/revoke_selected.html", context)


class ConsentInline(admin.TabularInline):
    """The patient's consents on the patient page, read-only with a link to each consent."""

    model = Consent
    fk_name = "patient"
    fields = ["kind", "status_label", "signed_on", "expires_on", "expiry_event", "revoked_on"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ["-signed_on", "-created_at"]

    @admin.display(description="status")
    def status_label(self, obj):
        return status_label(obj)

    def has_view_permission(self, request, obj=None):
        return request.user.is_staff and access.can(request.user, "consent", "view")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
