"""Admin for sessions and notes: DAP/SOAP forms, group rosters, sign buttons, add-only addenda,
one patient's group attendance, and the Part 2 counselling notes (clinicians on the case only).

Every write goes through treatment.services.sessions. Forms show the services' own errors next to
the fields by running the service once and rolling it back ("dry run"), so the rules exist once.
"""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.forms.models import BaseInlineFormSet, construct_instance
from django.http import Http404, HttpResponseForbidden, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html_join

from clinic import access
from clinic.admin_base import ClinicModelAdmin
from clinic.errors import ClinicError
from patients.models import Patient
from treatment.api.session_serializers import staff_name
from treatment.models import (
    CounsellingNote,
    CounsellingNoteAddendum,
    GroupAddendum,
    GroupAttendance,
    GroupSession,
    IndividualSession,
    SessionAddendum,
)
from treatment.services import sessions as services
from treatment.services.sessions import NotAllowed

User = get_user_model()
SIGN_TEMPLATE = "admin/treatment/sign_change_form.html"


class _DryRun(Exception):
    pass


def dry_run(service, **kwargs) -> None:
    """Run a service and roll everything back: its ValidationError/ClinicError reach the form
    before anything is saved. Raises what the service raises."""
    try:
        with transaction.atomic():
            service(**kwargs)
            raise _DryRun
    except _DryRun:
        pass


def add_service_errors(form, exc: Exception) -> None:
    """Put a service's refusal next to the fields it names (or on top of the form)."""
    if isinstance(exc, ValidationError):
        for field, msgs in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, msgs)
    else:
        form.add_error(None, exc.detail)


class _ServiceForm(forms.ModelForm):
    """Model and constraint checks are the service's (run in clean()), after it fills defaults
    such as the next course number: the form only builds the instance for display."""

    request = None

    def _post_clean(self):
        opts = self._meta
        self.instance = construct_instance(self, self.instance, opts.fields, opts.exclude)

    def check_with(self, service, **kwargs) -> None:
        try:
            dry_run(service, **kwargs)
        except (ValidationError, ClinicError) as exc:
            add_service_errors(self, exc)


# --- shared admin behaviour ----------------------------------------------------------------------


class _NoteAdmin(ClinicModelAdmin):
    """Sign button, add-only addenda (history pages are scoped by ClinicAdminMixin)."""

    change_form_template = SIGN_TEMPLATE
    sign_service = None
    addendum_service = None
    note_kwarg = ""
    editable_fields: list[str] = []
    fixed_after_create = ["patient"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.request = request  # the class is built per request by modelform_factory
        return form

    # --- signing -----------------------------------------------------------------------------
    def sign_refusal(self, request, obj) -> str | None:
        raise NotImplementedError

    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        custom = [
            path(
                "<uuid:object_id>/sign/",
                self.admin_site.admin_view(self.sign_view),
                name=f"{info[0]}_{info[1]}_sign",
            )
        ]
        return custom + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        try:
            obj = self.get_queryset(request).filter(pk=uuid.UUID(str(object_id))).first()
        except ValueError:
            obj = None
        if (
            obj is not None
            and not obj.is_signed
            and access.can(request.user, self.record_type, "add")
            and self.sign_refusal(request, obj) is None
        ):
            extra_context["sign_url"] = reverse(self._url_name("sign"), args=[obj.pk])
        return super().change_view(request, object_id, form_url, extra_context)

    def sign_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not access.can(request.user, self.record_type, "add"):
            return HttpResponseForbidden()
        obj = get_object_or_404(self.get_queryset(request), pk=object_id)
        try:
            type(self).sign_service(**{self.note_kwarg: obj}, user=request.user)
        except NotAllowed:
            return HttpResponseForbidden()
        except ValidationError as exc:
            self.message_user(request, "Not signed: " + " ".join(exc.messages), messages.ERROR)
        except ClinicError as exc:
            self.message_user(request, f"Not signed: {exc.detail}", messages.ERROR)
        else:
            self.message_user(request, "Signed. The note is now locked.", messages.SUCCESS)
        return HttpResponseRedirect(reverse(self._url_name("change"), args=[obj.pk]))

    def _url_name(self, view: str) -> str:
        return f"admin:{self.model._meta.app_label}_{self.model._meta.model_name}_{view}"

    # --- a signed note is read-only; its page still takes addenda -----------------------------
    def may_add_addendum(self, request, obj) -> bool:
        raise NotImplementedError

    def has_change_permission(self, request, obj=None):
        if super().has_change_permission(request, obj):
            return True
        return (
            obj is not None
            and obj.is_signed
            and self._can(request, "add")
            and self.may_add_addendum(request, obj)
        )

    def may_edit_draft(self, request, obj) -> bool:
        return obj.author_id == request.user.pk

    def get_readonly_fields(self, request, obj=None):
        """Signed notes, and drafts of someone else, are read-only; some fields are fixed once
        the record exists (a note does not move to another patient, a group to another site)."""
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is None:
            return readonly
        if obj.is_signed or not self.may_edit_draft(request, obj):
            fixed = self.editable_fields
        else:
            fixed = self.fixed_after_create
        return readonly + [f for f in fixed if f not in readonly]

    def save_formset(self, request, form, formset, change):
        if not issubclass(formset.model, SessionAddendum | GroupAddendum | CounsellingNoteAddendum):
            return super().save_formset(request, form, formset, change)
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for sub in formset.extra_forms:
            if not sub.has_changed() or not sub.cleaned_data:
                continue
            try:
                added = self.addendum_service(
                    **{self.note_kwarg: form.instance},
                    user=request.user,
                    text=sub.cleaned_data["text"],
                    reason=sub.cleaned_data["reason"],
                )
            except (ValidationError, ClinicError) as exc:
                detail = " ".join(exc.messages) if isinstance(exc, ValidationError) else exc.detail
                self.message_user(request, f"Addendum not added: {detail}", messages.ERROR)
                continue
            formset.new_objects.append(added)


class _AddendumInline(admin.TabularInline):
    """Addenda: listed read-only; new ones can be added to a signed note, never changed."""

    extra = 1
    can_delete = False
    fields = ["written_at", "author_name", "reason", "text"]
    readonly_fields = ["written_at", "author_name"]

    @admin.display(description="author")
    def author_name(self, obj):
        return staff_name(obj.author) if obj.pk else ""

    def get_extra(self, request, obj=None, **kwargs):
        return 1 if self.has_add_permission(request, obj) else 0

    def has_view_permission(self, request, obj=None):
        return True  # the parent admin already decided who sees this note

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request, obj=None):
        parent = self.admin_site._registry[self.parent_model]
        return (
            obj is not None
            and obj.is_signed
            and parent._can(request, "add")
            and parent.may_add_addendum(request, obj)
        )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author__staff_profile")


class SignedFilter(admin.SimpleListFilter):
    title = "signed"
    parameter_name = "signed"

    def lookups(self, request, model_admin):
        return [("yes", "Signed"), ("no", "Draft")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(signed_at__isnull=self.value() == "no")
        return queryset


def _visible_patients(request):
    return Patient.objects.active().visible_to(request.user)


# --- individual sessions -------------------------------------------------------------------------


class SessionAdminForm(_ServiceForm):
    class Meta:
        model = IndividualSession
        fields = ["patient", *sorted(services.SESSION_FIELDS)]
        widgets = {"note_format": forms.RadioSelect}
        help_texts = {"objective_ids": 'A JSON list of objective UUIDs, for example ["…"].'}

    def service_values(self) -> dict:
        names = services.SESSION_FIELDS & set(self.fields)
        if self.instance.pk is not None and not self.instance._state.adding:
            names &= set(self.changed_data)
        return {name: self.cleaned_data.get(name) for name in names}

    def clean(self):
        data = super().clean()
        if self.errors or self.instance.is_signed:
            return data
        if self.instance._state.adding:
            self.check_with(
                services.session_create,
                patient=data.get("patient"),
                user=self.request.user,
                **self.service_values(),
            )
        elif self.service_values():
            self.check_with(
                services.session_update,
                session=self.instance,
                user=self.request.user,
                **self.service_values(),
            )
        return data


class SessionAddendumInline(_AddendumInline):
    model = SessionAddendum


@admin.register(IndividualSession)
class IndividualSessionAdmin(_NoteAdmin):
    record_type = "session_note"
    site_path = "patient__site"
    patient_path = "patient_id"
    form = SessionAdminForm
    sign_service = staticmethod(services.session_sign)
    addendum_service = staticmethod(services.session_addendum_add)
    note_kwarg = "session"
    editable_fields = ["patient", *sorted(services.SESSION_FIELDS)]
    inlines = [SessionAddendumInline]
    list_display = [
        "started_at",
        "session_type",
        "patient_mrn",
        "author_name",
        "course_label",
        "note_format",
        "status",
    ]
    list_filter = [SignedFilter, "session_type", "modality", "note_format"]
    list_select_related = ["patient", "author__staff_profile"]
    date_hierarchy = "started_at"
    autocomplete_fields = ["patient"]
    readonly_fields = ["author_name", "status", "signed_at", "signer_name"]

    class Media:
        js = ["treatment/admin/note_format.js"]

    def get_fieldsets(self, request, obj=None):
        session = [
            ("patient", "session_type"),
            ("started_at", "duration_minutes", "modality"),
            ("course_session_number", "course_planned_sessions"),
            ("appointment_id", "objective_ids"),
        ]
        sets = [
            ("Session", {"fields": session}),
            ("Progress note", {"fields": ["note_format"]}),
            ("DAP", {"fields": ["data"], "classes": ["note-format", "note-dap"]}),
            (
                "SOAP",
                {"fields": ["subjective", "objective"], "classes": ["note-format", "note-soap"]},
            ),
            ("Assessment and plan", {"fields": ["assessment", "plan"]}),
            ("Signature", {"fields": [("author_name", "status"), ("signed_at", "signer_name")]}),
        ]
        if obj is not None and obj.is_signed:
            hidden = "SOAP" if obj.note_format == "dap" else "DAP"
            sets = [s for s in sets if s[0] != hidden]
        return sets

    def get_queryset(self, request):
        return super().get_queryset(request).filter(archived_at__isnull=True)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "patient":
            kwargs["queryset"] = _visible_patients(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="patient", ordering="patient__mrn")
    def patient_mrn(self, obj):
        return obj.patient.mrn

    @admin.display(description="author")
    def author_name(self, obj):
        return staff_name(obj.author) if obj.author_id else ""

    @admin.display(description="signed by")
    def signer_name(self, obj):
        return staff_name(obj.signed_by)

    def sign_refusal(self, request, obj):
        return services.session_sign_refusal(session=obj, user=request.user)

    def may_add_addendum(self, request, obj):
        return obj.author_id == request.user.pk or access.Role.CLINICIAN in access.user_roles(
            request.user
        )

    def save_model(self, request, obj, form, change):
        if change:
            values = form.service_values()
            if values and not obj.is_signed:
                services.session_update(session=obj, user=request.user, **values)
            return
        saved = services.session_create(
            patient=form.cleaned_data["patient"], user=request.user, **form.service_values()
        )
        obj.pk, obj.author_id = saved.pk, saved.author_id
        obj._state.adding = False


# --- group sessions ------------------------------------------------------------------------------


class GroupSessionAdminForm(_ServiceForm):
    class Meta:
        model = GroupSession
        fields = [
            "site",
            "topic",
            "title",
            "started_at",
            "duration_minutes",
            "modality",
            "facilitators",
            "summary",
        ]

    def service_call(self, attendance=None):
        """(service, kwargs) for this form's data; the roster rows come from the inline."""
        data = self.cleaned_data
        names = services.GROUP_FIELDS & set(self.fields)
        facilitators = list(data["facilitators"]) if "facilitators" in self.fields else None
        if self.instance._state.adding:
            kwargs = {name: data.get(name) for name in names}
            kwargs.update(site=data.get("site"), facilitators=facilitators or [])
            if attendance:
                kwargs["attendance"] = attendance
            return services.group_session_create, kwargs
        kwargs = {name: data.get(name) for name in names & set(self.changed_data)}
        if "facilitators" in self.changed_data:
            kwargs["facilitators"] = facilitators
        if attendance:
            kwargs["attendance"] = attendance
        return services.group_session_update, {"group": self.instance, **kwargs}

    def clean(self):
        data = super().clean()
        if self.errors or self.instance.is_signed:
            return data
        service, kwargs = self.service_call()
        self.check_with(service, user=self.request.user, **kwargs)
        if not self.errors:
            self.instance._admin_form = self  # the roster formset checks the whole group
        return data


class AttendanceForm(forms.ModelForm):
    removed = forms.BooleanField(required=False, label="take off the roster")

    class Meta:
        model = GroupAttendance
        fields = ["patient", "status", "note"]
        widgets = {"status": forms.RadioSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = GroupAttendance.Status.choices
        if self.instance.pk:
            self.fields["patient"].disabled = True
        else:
            self.fields["removed"].widget = forms.HiddenInput()

    def _post_clean(self):
        """Checked by the group service (dry run in the formset), which knows the whole roster."""

    def row(self) -> dict:
        data = self.cleaned_data
        return {
            "patient": data["patient"],
            "status": data.get("status") or "",
            "note": data.get("note") or "",
            "removed": bool(data.get("removed")),
        }


class AttendanceFormSet(BaseInlineFormSet):
    request = None

    def rows(self) -> list[dict]:
        return [
            f.row()
            for f in self.forms
            if f.has_changed() and f.cleaned_data and f.cleaned_data.get("patient")
        ]

    def clean(self):
        super().clean()
        parent = getattr(self.instance, "_admin_form", None)
        rows = self.rows()
        if parent is None or not rows:
            return
        service, kwargs = parent.service_call(attendance=rows)
        try:
            dry_run(service, user=self.request.user, **kwargs)
        except ValidationError as exc:
            raise ValidationError([m for msgs in exc.message_dict.values() for m in msgs]) from exc
        except ClinicError as exc:
            raise ValidationError(exc.detail) from exc


class AttendanceInline(admin.TabularInline):
    """The roster, on the group's own page only, and only rows of patients the user may see."""

    model = GroupAttendance
    form = AttendanceForm
    formset = AttendanceFormSet
    fields = ["patient", "status", "note", "removed"]
    autocomplete_fields = ["patient"]
    extra = 3
    can_delete = False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .active()
            .visible_to(request.user)
            .select_related("patient")
        )

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.request = request
        return formset

    def get_extra(self, request, obj=None, **kwargs):
        return 3 if self.has_add_permission(request, obj) else 0

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "patient":
            kwargs["queryset"] = _visible_patients(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_view_permission(self, request, obj=None):
        return access.can(request.user, "session_note", "view")

    def has_add_permission(self, request, obj=None):
        """While unsigned, by the group's author or facilitators (a new group: its author)."""
        if not access.can(request.user, "session_note", "change"):
            return False
        return obj is None or (not obj.is_signed and services.may_edit_group(obj, request.user))

    def has_change_permission(self, request, obj=None):
        return self.has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False


class GroupAddendumInline(_AddendumInline):
    model = GroupAddendum

    def get_queryset(self, request):
        return super().get_queryset(request).filter(attendance=None)


@admin.register(GroupSession)
class GroupSessionAdmin(_NoteAdmin):
    record_type = "session_note"
    site_path = "site"
    patient_path = None
    form = GroupSessionAdminForm
    sign_service = staticmethod(services.group_session_sign)
    addendum_service = staticmethod(services.group_addendum_add)
    note_kwarg = "group"
    editable_fields = GroupSessionAdminForm.Meta.fields
    fixed_after_create = ["site"]
    inlines = [AttendanceInline, GroupAddendumInline]
    list_display = ["started_at", "topic_label", "site", "facilitator_names", "status"]
    list_filter = [SignedFilter, "topic", "site"]
    list_select_related = ["site"]
    date_hierarchy = "started_at"
    readonly_fields = ["status", "signed_at"]
    fieldsets = [
        (
            "Group",
            {
                "fields": [
                    ("site", "topic", "title"),
                    ("started_at", "duration_minutes", "modality"),
                    "facilitators",
                ]
            },
        ),
        ("Group note (about the group, never one patient)", {"fields": ["summary"]}),
        ("Signature", {"fields": [("status", "signed_at")]}),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(archived_at__isnull=True)
            .prefetch_related(
                Prefetch("facilitators", queryset=User.objects.select_related("staff_profile"))
            )
        )

    def may_edit_draft(self, request, obj) -> bool:
        return services.may_edit_group(obj, request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "site":
            from clinic.models import Site

            site_ids = access.visible_site_ids(request.user)
            sites = Site.objects.filter(is_active=True)
            kwargs["queryset"] = (
                sites if site_ids is access.ALL_SITES else sites.filter(pk__in=site_ids)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "facilitators":
            site_ids = access.visible_site_ids(request.user)
            staff = User.objects.filter(is_active=True, staff_profile__isnull=False)
            if site_ids is not access.ALL_SITES:
                staff = staff.filter(staff_profile__sites__in=site_ids)
            kwargs["queryset"] = staff.select_related("staff_profile").distinct()
            kwargs["widget"] = forms.CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description="facilitators")
    def facilitator_names(self, obj):
        return ", ".join(staff_name(u) for u in obj.facilitators.all())

    def sign_refusal(self, request, obj):
        return services.group_sign_refusal(group=obj, user=request.user)

    def may_add_addendum(self, request, obj):
        return (
            access.Role.CLINICIAN in access.user_roles(request.user)
            or obj.facilitators.filter(pk=request.user.pk).exists()
        )

    def save_model(self, request, obj, form, change):
        if obj.is_signed:
            return
        service, kwargs = form.service_call()
        saved = service(user=request.user, **kwargs)
        if not change:
            obj.pk, obj.created_by_id = saved.pk, saved.created_by_id
            obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        """Facilitators were set by the service; roster rows and addenda go through services."""
        for formset in formsets:
            if formset.model is GroupAttendance:
                formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
                rows = formset.rows()
                if rows:
                    group = GroupSession.objects.get(pk=form.instance.pk)
                    services.group_session_update(group=group, user=request.user, attendance=rows)
            else:
                self.save_formset(request, form, formset, change)


# --- one patient's group attendance --------------------------------------------------------------


class AttendancePatientFilter(admin.SimpleListFilter):
    """The page is one patient's: `?patient=<id>`. Without it the list is empty."""

    title = "patient"
    parameter_name = "patient"

    def lookups(self, request, model_admin):
        # Always one choice, so the filter is applied (Django skips filters without output).
        return [(self.value() or "-", "this patient" if self.value() else "none chosen")]

    def queryset(self, request, queryset):
        try:
            return queryset.filter(patient_id=uuid.UUID(str(self.value())))
        except ValueError:
            return queryset.none()


@admin.register(GroupAttendance)
class PatientGroupAttendanceAdmin(ClinicModelAdmin):
    """One patient's group attendance: each group's date, topic and facilitators and this
    patient's own row. Never the roster or the group summary. Open it with ?patient=<id>."""

    record_type = "session_note"
    site_path = "patient__site"
    patient_path = "patient_id"
    list_display = ["group_date", "group_topic", "group_facilitators", "status", "note"]
    list_display_links = ["group_date"]
    list_filter = [AttendancePatientFilter]
    fields = ["group_date", "group_topic", "group_facilitators", "status", "note", "addenda_list"]
    readonly_fields = fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .active()
            .select_related("group")
            .prefetch_related(
                Prefetch(
                    "group__facilitators", queryset=User.objects.select_related("staff_profile")
                ),
                Prefetch(
                    "addenda",
                    queryset=GroupAddendum.objects.select_related("author__staff_profile"),
                ),
            )
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def history_view(self, request, object_id, extra_context=None):
        raise Http404("No history page here: open the group session.")

    @admin.display(description="date", ordering="group__started_at")
    def group_date(self, obj):
        return obj.group.started_at

    @admin.display(description="topic")
    def group_topic(self, obj):
        return obj.group.topic_label

    @admin.display(description="facilitators")
    def group_facilitators(self, obj):
        return ", ".join(staff_name(u) for u in obj.group.facilitators.all())

    @admin.display(description="addenda to this row")
    def addenda_list(self, obj):
        return format_html_join(
            "",
            "<p>{} ({}): {} — {}</p>",
            ((a.written_at, staff_name(a.author), a.reason, a.text) for a in obj.addenda.all()),
        )


# --- Part 2 counselling notes --------------------------------------------------------------------


class CounsellingNoteAdminForm(_ServiceForm):
    class Meta:
        model = CounsellingNote
        fields = ["patient", "session", "occurred_at", "content"]

    def service_values(self) -> dict:
        names = services.COUNSELLING_FIELDS & set(self.fields)
        if not self.instance._state.adding:
            names &= set(self.changed_data)
        return {name: self.cleaned_data.get(name) for name in names}

    def clean(self):
        data = super().clean()
        if self.errors or self.instance.is_signed:
            return data
        if self.instance._state.adding:
            self.check_with(
                services.counselling_note_create,
                patient=data.get("patient"),
                user=self.request.user,
                **self.service_values(),
            )
        elif self.service_values():
            self.check_with(
                services.counselling_note_update,
                note=self.instance,
                user=self.request.user,
                **self.service_values(),
            )
        return data


class CounsellingNoteAddendumInline(_AddendumInline):
    model = CounsellingNoteAddendum


@admin.register(CounsellingNote)
class CounsellingNoteAdmin(_NoteAdmin):
    """Part 2 counselling notes: clinicians only (the matrix), and of those only the author and
    the patient's care team (the Part 2 rule, in CounsellingNote.objects.visible_to)."""

    record_type = "counselling_note"
    site_path = "patient__site"
    patient_path = "patient_id"
    form = CounsellingNoteAdminForm
    sign_service = staticmethod(services.counselling_note_sign)
    addendum_service = staticmethod(services.counselling_note_addendum_add)
    note_kwarg = "note"
    editable_fields = ["patient", "session", "occurred_at", "content"]
    inlines = [CounsellingNoteAddendumInline]
    list_display = ["occurred_at", "patient_mrn", "author_name", "status"]
    list_filter = [SignedFilter]
    list_select_related = ["patient", "author__staff_profile"]
    autocomplete_fields = ["patient"]
    raw_id_fields = ["session"]
    readonly_fields = ["author_name", "status", "signed_at"]
    fieldsets = [
        (None, {"fields": [("patient", "session"), "occurred_at", "content"]}),
        ("Signature", {"fields": [("author_name", "status", "signed_at")]}),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .active()
            .visible_to(request.user)
            .select_related("patient", "author__staff_profile")
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "patient":
            kwargs["queryset"] = _visible_patients(request)
        if db_field.name == "session":
            kwargs["queryset"] = access.scope_queryset(
                IndividualSession.objects.active(), request.user, "patient__site"
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="patient", ordering="patient__mrn")
    def patient_mrn(self, obj):
        return obj.patient.mrn

    @admin.display(description="author")
    def author_name(self, obj):
        return staff_name(obj.author) if obj.author_id else ""

    def sign_refusal(self, request, obj):
        if obj.author_id != request.user.pk:
            return "Only the author may sign this note."
        return None

    def may_add_addendum(self, request, obj):
        return True  # whoever may open the note (the Part 2 rule) may add to it

    def save_model(self, request, obj, form, change):
        if change:
            values = form.service_values()
            if values and not obj.is_signed:
                services.counselling_note_update(note=obj, user=request.user, **values)
            return
        saved = services.counselling_note_create(
            patient=form.cleaned_data["patient"], user=request.user, **form.service_values()
        )
        obj.pk, obj.author_id = saved.pk, saved.author_id
        obj._state.adding = False
