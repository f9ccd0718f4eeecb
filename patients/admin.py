"""Front-desk friendly patient admin: search first, duplicate warning, inlines, status and merge."""

from __future__ import annotations

import csv

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from clinic import access
from clinic.admin_base import ClinicModelAdmin
from clinic.audit import record_reads
from clinic.models import AuditEvent
from patients.admin_consents import ConsentInline
from patients.admin_scheduling import AppointmentInline
from patients.duplicates import find_duplicates
from patients.models import CareTeamMember, Coverage, EmergencyContact, Episode, Patient
from patients.selectors import search_patients
from patients.services import contacts as contact_services
from patients.services import merge as merge_services
from patients.services import patient as services
from patients.services.patient import IDENTITY_FIELDS, allowed_next_statuses
from patients.validation import normalize_phone

EXPORT_FIELDS = [
    "mrn",
    "first_name",
    "middle_name",
    "last_name",
    "preferred_name",
    "date_of_birth",
    "sex_at_birth",
    "phone_mobile",
    "phone_home",
    "email",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "status",
]


class PatientForm(forms.ModelForm):
    """Registration and demographics, with the duplicate check as a step the user answers."""

    confirm_not_duplicate = forms.BooleanField(
        required=False,
        label="I have reviewed the possible duplicates and this is a different person",
    )

    class Meta:
        model = Patient
        fields = ["site", *sorted(services.DEMOGRAPHIC_FIELDS)]

    def clean_phone_mobile(self):
        return normalize_phone(self.cleaned_data.get("phone_mobile", ""), field="phone_mobile")

    def clean_phone_home(self):
        return normalize_phone(self.cleaned_data.get("phone_home", ""), field="phone_home")

    def _raise_field_errors(self, exc: ValidationError):
        for field, msgs in exc.message_dict.items():
            self.add_error(field if field in self.fields else None, msgs)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        identity_changed = self.instance._state.adding or (set(self.changed_data) & IDENTITY_FIELDS)
        if identity_changed and not data.get("confirm_not_duplicate"):
            candidates = find_duplicates(
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
                date_of_birth=data.get("date_of_birth"),
                phones=(data.get("phone_mobile", ""), data.get("phone_home", "")),
                email=data.get("email", ""),
                exclude_id=None if self.instance._state.adding else self.instance.pk,
            )
            if candidates:
                self.duplicate_candidates = [c.public() for c in candidates]
                rows = format_html_join(
                    "",
                    "<li>{} — {} — born {} — site {} ({})</li>",
                    (
                        (
                            c["mrn"],
                            c["name"],
                            c["date_of_birth"],
                            c["site"],
                            ", ".join(c["reasons"]),
                        )
                        for c in self.duplicate_candidates
                    ),
                )
                raise ValidationError(
                    format_html(
                        "Possible duplicates found. Open the existing record instead, or tick the "
                        "confirmation below to register a different person:<ul>{}</ul>",
                        rows,
                    )
                )
        return data


class EmergencyContactForm(forms.ModelForm):
    class Meta:
        model = EmergencyContact
        fields = ["name", "relationship", "phone", "is_primary"]

    def clean_phone(self):
        return normalize_phone(self.cleaned_data.get("phone", ""))


class CoverageForm(forms.ModelForm):
    class Meta:
        model = Coverage
        fields = [
            "priority",
            "payer_name",
            "plan_name",
            "member_id",
            "group_number",
            "subscriber_name",
            "subscriber_relationship",
            "effective_date",
            "end_date",
        ]

    def clean(self):
        """Show an overlapping primary next to the row, not as a message after saving."""
        data = super().clean()
        if self.instance.patient_id and data.get("effective_date") and not self.errors:
            probe = Coverage(
                pk=self.instance.pk,
                patient_id=self.instance.patient_id,
                priority=data.get("priority"),
                effective_date=data["effective_date"],
                end_date=data.get("end_date"),
            )
            if probe.priority == Coverage.Priority.PRIMARY and (
                contact_services.overlapping_primaries(probe).exists()
            ):
                self.add_error(
                    "effective_date",
                    "These dates overlap another primary coverage of this patient.",
                )
        return data


class _ServiceInline(admin.StackedInline):
    """Inline rows saved through the services, so admin edits follow the API's rules."""

    extra = 0
    can_delete = False
    record_type = ""

    def has_view_permission(self, request, obj=None):
        return access.can(request.user, self.record_type, "view")

    def has_add_permission(self, request, obj=None):
        return access.can(request.user, self.record_type, "add")

    def has_change_permission(self, request, obj=None):
        return access.can(request.user, self.record_type, "change")

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).filter(archived_at__isnull=True)


class EmergencyContactInline(_ServiceInline):
    model = EmergencyContact
    form = EmergencyContactForm
    record_type = "patient_contact"
    fields = ["name", "relationship", "phone", "is_primary"]


class CoverageInline(_ServiceInline):
    model = Coverage
    form = CoverageForm
    record_type = "coverage"
    fieldsets = [
        (None, {"fields": [("priority", "payer_name", "plan_name")]}),
        (None, {"fields": [("member_id", "group_number")]}),
        (None, {"fields": [("subscriber_name", "subscriber_relationship")]}),
        (None, {"fields": [("effective_date", "end_date")]}),
    ]


class CareTeamInline(admin.TabularInline):
    model = CareTeamMember
    extra = 0
    can_delete = False
    fields = ["staff", "role", "start_date", "end_date"]
    autocomplete_fields = []

    def has_view_permission(self, request, obj=None):
        return access.can(request.user, "patient", "view")

    def has_add_permission(self, request, obj=None):
        return access.can(request.user, "patient", "change")

    def has_change_permission(self, request, obj=None):
        return access.can(request.user, "patient", "change")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "staff":
            from django.contrib.auth import get_user_model

            site_ids = access.visible_site_ids(request.user)
            users = get_user_model().objects.filter(is_active=True, is_staff=True)
            if site_ids is not access.ALL_SITES:
                users = users.filter(staff_profile__sites__in=site_ids)
            kwargs["queryset"] = users.distinct()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class EpisodeInline(admin.TabularInline):
    model = Episode
    extra = 0
    can_delete = False
    fields = ["number", "started_on", "discharged_on", "discharge_reason"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class StatusFilter(admin.SimpleListFilter):
    title = "record"
    parameter_name = "record"

    def lookups(self, request, model_admin):
        return [("active", "Current records"), ("archived", "Archived / merged")]

    def queryset(self, request, queryset):
        if self.value() == "archived":
            return queryset.filter(archived_at__isnull=False)
        if self.value() is None or self.value() == "active":
            return queryset.filter(archived_at__isnull=True)
        return queryset

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            selected = self.value() == lookup or (self.value() is None and lookup == "active")
            yield {
                "selected": selected,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


class ClinicianFilter(admin.SimpleListFilter):
    title = "primary clinician"
    parameter_name = "clinician"

    def lookups(self, request, model_admin):
        qs = model_admin.get_queryset(request).exclude(primary_clinician=None)
        users = qs.values_list(
            "primary_clinician", "primary_clinician__staff_profile__display_name"
        ).distinct()
        return [(str(pk), name or f"user {pk}") for pk, name in users]

    def queryset(self, request, queryset):
        return queryset.filter(primary_clinician=self.value()) if self.value() else queryset


@admin.register(Patient)
class PatientAdmin(ClinicModelAdmin):
    record_type = "patient"
    site_path = "site"
    patient_path = "pk"
    form = PatientForm
    list_display = [
        "mrn",
        "last_name",
        "first_name",
        "preferred_name",
        "date_of_birth",
        "status_label",
        "site",
        "primary_clinician",
    ]
    list_display_links = ["mrn", "last_name"]
    list_filter = [StatusFilter, "status", "site", ClinicianFilter]
    search_fields = ["search_name"]  # replaced by get_search_results; enables the search box
    search_help_text = "Name (typos allowed), MRN, date of birth (YYYY-MM-DD), phone or email."
    list_select_related = ["site", "primary_clinician"]
    list_per_page = 50
    show_full_result_count = False
    AUTOCOMPLETE_PAGE = 20  # Django's AutocompleteJsonView page size
    readonly_fields = ["mrn", "status", "created_at", "updated_at", "archived_at", "archive_reason"]
    inlines = [
        EmergencyContactInline,
        CoverageInline,
        ConsentInline,
        AppointmentInline,
        CareTeamInline,
        EpisodeInline,
    ]
    actions = ["export_demographics_csv"]
    fieldsets = [
        ("Record", {"fields": [("mrn", "site", "status")]}),
        (
            "Identity",
            {
                "fields": [
                    ("first_name", "middle_name", "last_name"),
                    ("preferred_name", "pronouns"),
                    "date_of_birth",
                    ("sex_at_birth", "gender_identity"),
                    ("preferred_language", "interpreter_needed"),
                ]
            },
        ),
        (
            "Contact",
            {
                "fields": [
                    ("phone_mobile", "phone_home"),
                    "email",
                    "address_line1",
                    "address_line2",
                    ("city", "state", "postal_code"),
                    "preferred_contact_method",
                    ("consent_to_text", "consent_to_voicemail"),
                ]
            },
        ),
        ("Referral", {"fields": ["referral_source", "referral_notes"]}),
        ("Care team", {"fields": ["primary_clinician"]}),
        ("Duplicate check", {"fields": ["confirm_not_duplicate"]}),
        (
            "History",
            {
                "classes": ["collapse"],
                "fields": [("created_at", "updated_at"), ("archived_at", "archive_reason")],
            },
        ),
    ]

    @admin.display(description="status", ordering="status")
    def status_label(self, obj):
        return obj.get_status_display() + (" (archived)" if obj.archived_at else "")

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly.append("site")  # a transfer between sites is its own workflow
        return readonly

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "site":
            from clinic.models import Site

            site_ids = access.visible_site_ids(request.user)
            sites = Site.objects.filter(is_active=True)
            kwargs["queryset"] = (
                sites if site_ids is access.ALL_SITES else sites.filter(pk__in=site_ids)
            )
        if db_field.name == "primary_clinician":
            from django.contrib.auth import get_user_model

            site_ids = access.visible_site_ids(request.user)
            users = get_user_model().objects.filter(
                is_active=True, groups__name=access.ROLE_GROUPS[access.Role.CLINICIAN]
            )
            if site_ids is not access.ALL_SITES:
                users = users.filter(staff_profile__sites__in=site_ids)
            kwargs["queryset"] = users.distinct()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_search_results(self, request, queryset, search_term):
        results = search_patients(queryset, search_term) if search_term.strip() else queryset
        if request.path.endswith("/autocomplete/"):
            # Autocomplete answers show names outside any change list: audit the page it shows.
            self.audit(request, results.select_related(None)[: self.AUTOCOMPLETE_PAGE])
        return results, False

    def save_model(self, request, obj, form, change):
        values = {
            f: form.cleaned_data[f]
            for f in form.cleaned_data
            if f in services.DEMOGRAPHIC_FIELDS and (not change or f in form.changed_data)
        }
        if change:
            saved = services.patient_update(
                patient=obj, user=request.user, confirm_not_duplicate=True, **values
            )
        else:
            saved = services.patient_register(
                site=form.cleaned_data["site"],
                created_by=request.user,
                confirm_not_duplicate=True,
                **values,
            )
        obj.pk, obj.mrn, obj.status = saved.pk, saved.mrn, saved.status
        obj._state.adding = False

    def save_formset(self, request, form, formset, change):
        if formset.model not in (EmergencyContact, Coverage):
            super().save_formset(request, form, formset, change)
            return
        patient = form.instance
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.forms:
            if not inline_form.has_changed() or not inline_form.cleaned_data:
                continue
            allowed = (
                contact_services.CONTACT_FIELDS
                if formset.model is EmergencyContact
                else contact_services.COVERAGE_FIELDS
            )
            data = {k: v for k, v in inline_form.cleaned_data.items() if k in allowed}
            instance = inline_form.instance
            existing = instance.pk is not None and not instance._state.adding
            try:
                if formset.model is EmergencyContact and existing:
                    saved = contact_services.emergency_contact_update(
                        contact=instance, user=request.user, **data
                    )
                elif formset.model is EmergencyContact:
                    saved = contact_services.emergency_contact_add(
                        patient=patient, user=request.user, **data
                    )
                elif existing:
                    saved = contact_services.coverage_update(
                        coverage=instance, user=request.user, **data
                    )
                else:
                    saved = contact_services.coverage_add(
                        patient=patient, user=request.user, **data
                    )
            except ValidationError as exc:
                messages.error(
                    request,
                    f"{formset.model._meta.verbose_name.capitalize()} not saved: "
                    + " ".join(m for msgs in exc.message_dict.values() for m in msgs),
                )
                continue
            if existing:
                formset.changed_objects.append((saved, inline_form.changed_data))
            else:
                formset.new_objects.append(saved)

    # --- status, merge and export --------------------------------------------------------------
    def get_urls(self):
        custom = [
            path(
                "<uuid:object_id>/status/",
                self.admin_site.admin_view(self.status_view),
                name="patients_patient_status",
            ),
            path(
                "<uuid:object_id>/merge/",
                self.admin_site.admin_view(self.merge_view),
                name="patients_patient_merge",
            ),
        ]
        return custom + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        extra_context["can_transition"] = access.can(request.user, "patient", "change")
        extra_context["can_merge"] = access.can(request.user, "patient", "archive")
        return super().change_view(request, object_id, form_url, extra_context)

    def status_view(self, request, object_id):
        if not access.can(request.user, "patient", "change"):
            return HttpResponse(status=403)
        patient = get_object_or_404(self.get_queryset(request), pk=object_id)
        form = TransitionForm(request.POST or None, patient=patient)
        if request.method == "POST" and form.is_valid():
            try:
                services.patient_transition(patient=patient, user=request.user, **form.cleaned_data)
            except ValidationError as exc:
                for field, msgs in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, msgs)
            except Exception as exc:  # Conflict: someone changed the status meanwhile
                if not hasattr(exc, "extra"):
                    raise
                form.add_error(None, exc.detail)
            else:
                self.message_user(request, "Status changed.", messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:patients_patient_change", args=[patient.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Change status: {patient.mrn}",
            "patient": patient,
            "form": form,
            "events": patient.status_events.select_related("episode", "recorded_by"),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/patients/patient/status.html", context)

    def merge_view(self, request, object_id):
        if not access.can(request.user, "patient", "archive"):
            return HttpResponse(status=403)
        survivor = get_object_or_404(self.get_queryset(request), pk=object_id)
        form = MergeForm(request.POST or None)
        duplicate = None
        if request.method == "POST" and form.is_valid():
            duplicate = (
                self.get_queryset(request)
                .filter(Q(mrn=form.cleaned_data["duplicate_mrn"].upper()))
                .first()
            )
            if duplicate is None:
                form.add_error("duplicate_mrn", "No record with this MRN at your sites.")
            elif form.cleaned_data.get("confirm"):
                try:
                    merge_services.patient_merge(
                        survivor=survivor,
                        duplicate=duplicate,
                        user=request.user,
                        reason=form.cleaned_data["reason"],
                    )
                except ValidationError as exc:
                    form.add_error(None, " ".join(exc.messages))
                else:
                    self.message_user(
                        request, f"{duplicate.mrn} merged into {survivor.mrn}.", messages.SUCCESS
                    )
                    return HttpResponseRedirect(
                        reverse("admin:patients_patient_change", args=[survivor.pk])
                    )
            else:
                self.audit(request, [duplicate])
                form.add_error("confirm", "Compare the two records, then tick to confirm.")
        context = {
            **self.admin_site.each_context(request),
            "title": f"Merge a duplicate into {survivor.mrn}",
            "survivor": survivor,
            "duplicate": duplicate,
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/patients/patient/merge.html", context)

    @admin.action(description="Export selected patients' demographics (CSV)")
    def export_demographics_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv")
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="patients-{stamp}.csv"'
        writer = csv.writer(response)
        writer.writerow(EXPORT_FIELDS)
        patients = list(queryset.select_related("site"))
        for p in patients:
            writer.writerow([getattr(p, f) for f in EXPORT_FIELDS])
        record_reads(
            actor=request.user,
            object_type="patient",
            records=((p.pk, p.pk, p.site_id) for p in patients),
            source="admin",
            action=AuditEvent.Action.EXPORT,
        )
        return response


class TransitionForm(forms.Form):
    to_status = forms.ChoiceField(label="New status")
    effective_on = forms.DateField(
        initial=timezone.localdate, widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.ChoiceField(
        required=False,
        choices=[("", "—"), *Episode.DischargeReason.choices],
        help_text="Required for a discharge.",
    )
    note = forms.CharField(required=False, max_length=200)

    def __init__(self, *args, patient: Patient, **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(Patient.Status.choices)
        self.fields["to_status"].choices = [
            (s, labels[s]) for s in allowed_next_statuses(patient.status)
        ]


class MergeForm(forms.Form):
    duplicate_mrn = forms.CharField(label="MRN of the duplicate record", max_length=20)
    reason = forms.CharField(max_length=200, help_text="Why these records are the same person.")
    confirm = forms.BooleanField(
        required=False,
        label="I have compared both records: move everything from the duplicate to this patient",
    )
