"""Appointment admin: list, day view per site with check-in, cancel with a reason."""

import datetime as dt
import uuid

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from clinic import access
from clinic.admin_base import ClinicAdminMixin, ClinicModelAdmin
from clinic.errors import Conflict
from clinic.models import Site, StaffProfile
from patients.models import Appointment, Patient
from patients.models.appointment import site_zone
from patients.services import scheduling

User = get_user_model()

# --- Appointments --------------------------------------------------------------------------------


def _visible_sites(request):
    sites = Site.objects.filter(is_active=True).order_by("name")
    site_ids = access.visible_site_ids(request.user)
    return sites if site_ids is access.ALL_SITES else sites.filter(pk__in=site_ids)


class _SiteFilter(admin.SimpleListFilter):
    """Only the user's own sites are offered."""

    title = "site"
    parameter_name = "site"

    def lookups(self, request, model_admin):
        return [(str(s.pk), s.name) for s in _visible_sites(request)]

    def queryset(self, request, queryset):
        return queryset.filter(site_id=int(self.value())) if self.value() else queryset


class _StaffFilter(admin.SimpleListFilter):
    title = "staff"
    parameter_name = "staff"

    def lookups(self, request, model_admin):
        profiles = StaffProfile.objects.filter(sites__in=_visible_sites(request)).distinct()
        return [(str(p.user_id), str(p)) for p in profiles.order_by("display_name")]

    def queryset(self, request, queryset):
        return queryset.filter(staff_id=int(self.value())) if self.value() else queryset


class _StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        profile = getattr(obj, "staff_profile", None)
        return str(profile) if profile else obj.get_username()


def _error_messages(exc: Exception) -> list[str]:
    """Service errors as plain sentences for admin messages (no patient data is in them)."""
    if isinstance(exc, Conflict):
        clash = exc.extra.get("clashing_appointment")
        if clash:
            return [f"{exc.detail} Clashing appointment {clash['id']}: {clash['start']}."]
        allowed = exc.extra.get("allowed")
        if allowed is not None:
            return [f"{exc.detail} Allowed next: {', '.join(allowed) or 'none'}."]
        return [exc.detail]
    return list(exc.messages) if isinstance(exc, ValidationError) else [str(exc)]


class AppointmentAdminForm(forms.ModelForm):
    """Booking and rescheduling in the admin run the scheduling service during validation.

    The service is the validator (site, staff, times, double-booking under the staff row lock),
    so calling it in clean() lets its 400s and 409s appear on the form instead of as a server
    error from save_model(). It runs inside the admin's transaction; save_model() only picks up
    the result.
    """

    request = None  # set by AppointmentAdmin.get_form

    class Meta:
        model = Appointment
        fields = ["patient", "staff", "type", "modality", "start", "end"]

    service_result: Appointment | None = None

    def clean(self):
        data = super().clean()
        if self._errors:
            return data
        user = self.request.user
        try:
            if self.instance._state.adding:
                self.service_result = scheduling.appointment_book(
                    patient=data["patient"],
                    staff=data["staff"],
                    type=data["type"],
                    modality=data["modality"],
                    start=data["start"],
                    end=data["end"],
                    user=user,
                )
            else:
                changes = {f: data[f] for f in self.changed_data if f in data}
                self.service_result = scheduling.appointment_update(
                    appointment=self.instance, user=user, **changes
                )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        except Conflict as exc:
            self.add_error(None, _error_messages(exc))
        return data

    def _post_clean(self):
        # The service validated with full_clean() and wrote the row; repeating the model form's
        # own validation on the stale instance could only disagree with it.
        if self.service_result is None:
            super()._post_clean()


@admin.register(Appointment)
class AppointmentAdmin(ClinicModelAdmin):
    """Appointments, plus the front desk's day view per site with check-in buttons."""

    record_type = "appointment"
    site_path = "site"
    patient_path = "patient_id"
    form = AppointmentAdminForm
    list_display = [
        "local_start",
        "site",
        "staff_name",
        "patient_mrn",
        "type",
        "modality",
        "status",
    ]
    list_filter = [_SiteFilter, "status", "type", _StaffFilter]
    list_select_related = ["site", "patient", "staff__staff_profile"]
    date_hierarchy = "start"
    search_fields = ["patient__mrn"]
    ordering = ["-start"]
    autocomplete_fields = ["patient"]
    actions = ["check_in_selected", "complete_selected", "no_show_selected"]
    _status_fields = [
        "status",
        "cancel_reason",
        "cancel_note",
        "checked_in_at",
        "checked_in_by",
        "status_changed_at",
        "status_changed_by",
        "created_by",
        "created_at",
    ]

    # --- forms ---------------------------------------------------------------------------------
    def get_fields(self, request, obj=None):
        if obj is None:
            return ["patient", "staff", "type", "modality", "start", "end"]
        editable = ["staff", "type", "modality", "start", "end"]
        return ["patient_mrn", "site", *editable, *self._status_fields]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        fixed = ["patient_mrn", "site", *self._status_fields]
        if obj.status != Appointment.Status.SCHEDULED:
            fixed += ["staff", "type", "modality", "start", "end"]
        return fixed

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"request": request})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "patient":
            kwargs["queryset"] = Patient.objects.visible_to(request.user).active()
        if db_field.name == "staff":
            kwargs["queryset"] = (
                User.objects.filter(
                    is_active=True, staff_profile__sites__in=_visible_sites(request)
                )
                .select_related("staff_profile")
                .distinct()
                .order_by("staff_profile__display_name")
            )
            kwargs["form_class"] = _StaffChoiceField
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """Times in the form are read and shown in the appointment's (or patient's) site zone."""
        zone = self._form_zone(request, object_id)
        extra_context = {**(extra_context or {}), "site_timezone": str(zone)}
        with timezone.override(zone):
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if hasattr(response, "render"):
                response.render()
        return response

    def _form_zone(self, request, object_id):
        site = None
        if object_id:
            if _is_uuid(object_id):
                obj = self.get_queryset(request).select_related("site").filter(pk=object_id)
                site = obj.first().site if obj.exists() else None
        else:
            patient_id = request.POST.get("patient") or request.GET.get("patient")
            if patient_id and _is_uuid(patient_id):
                patient = (
                    Patient.objects.visible_to(request.user)
                    .select_related("site")
                    .filter(pk=patient_id)
                    .first()
                )
                site = patient.site if patient else None
            if site is None:
                site = _visible_sites(request).first()
        return site_zone(site) if site else timezone.get_default_timezone()

    def save_model(self, request, obj, form, change):
        result = form.service_result
        if result is not None:  # the service has saved it; show the saved row
            obj.__dict__.update(result.__dict__)

    # --- list ----------------------------------------------------------------------------------
    @admin.display(description="start (site time)", ordering="start")
    def local_start(self, obj):
        return obj.local_start().strftime("%Y-%m-%d %H:%M")

    @admin.display(description="staff", ordering="staff__staff_profile__display_name")
    def staff_name(self, obj):
        profile = getattr(obj.staff, "staff_profile", None)
        return str(profile) if profile else obj.staff.get_username()

    @admin.display(description="patient MRN", ordering="patient__mrn")
    def patient_mrn(self, obj):
        return obj.patient.mrn

    # --- status actions ------------------------------------------------------------------------
    def _run_on_selected(self, request, queryset, service, done: str):
        ok = 0
        for appointment in queryset.select_related("site", "patient"):
            try:
                service(appointment=appointment, user=request.user)
                ok += 1
            except (Conflict, ValidationError) as exc:
                for message in _error_messages(exc):
                    self.message_user(request, f"{appointment.pk}: {message}", messages.ERROR)
        if ok:
            self.message_user(request, f"{ok} appointment(s) {done}.", messages.SUCCESS)

    @admin.action(description="Check in selected appointments", permissions=["change"])
    def check_in_selected(self, request, queryset):
        self._run_on_selected(request, queryset, scheduling.appointment_check_in, "checked in")

    @admin.action(description="Mark selected appointments completed", permissions=["change"])
    def complete_selected(self, request, queryset):
        self._run_on_selected(request, queryset, scheduling.appointment_complete, "completed")

    @admin.action(description="Mark selected appointments no-show", permissions=["change"])
    def no_show_selected(self, request, queryset):
        self._run_on_selected(request, queryset, scheduling.appointment_no_show, "marked no-show")

    # --- custom views --------------------------------------------------------------------------
    def get_urls(self):
        wrap = self.admin_site.admin_view
        custom = [
            path("day/", wrap(self.day_view), name="patients_appointment_day"),
            path(
                "<uuid:object_id>/check-in/",
                wrap(self.check_in_view),
                name="patients_appointment_check_in",
            ),
            path(
                "<uuid:object_id>/cancel/",
                wrap(self.cancel_view),
                name="patients_appointment_cancel",
            ),
        ]
        return custom + super().get_urls()

    def day_view(self, request):
        """One site's appointments for one local day, by time then staff, with check-in buttons."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        sites = list(_visible_sites(request))
        site = None
        if request.GET.get("site"):
            site = next((s for s in sites if str(s.pk) == request.GET["site"]), None)
            if site is None:
                raise Http404("No such site.")
        elif sites:
            site = sites[0]
        day = None
        if site is not None:
            zone = site_zone(site)
            day = timezone.localdate(timezone.now(), zone)
            if request.GET.get("date"):
                try:
                    day = dt.date.fromisoformat(request.GET["date"])
                except ValueError:
                    self.message_user(
                        request, "Use a date like 2030-01-31; showing today.", messages.WARNING
                    )
        rows = []
        if site is not None:
            appointments = scheduling.appointments_for_day(
                self.get_queryset(request), site=site, day=day
            )
            self.audit(request, appointments)
            rows = [
                {
                    "appointment": a,
                    "start": timezone.localtime(a.start, zone),
                    "end": timezone.localtime(a.end, zone),
                    "checked_in": a.checked_in_at and timezone.localtime(a.checked_in_at, zone),
                    "staff": self.staff_name(a),
                    "can_check_in": Appointment.Status.CHECKED_IN
                    in scheduling.ALLOWED_TRANSITIONS[a.status],
                }
                for a in appointments
            ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Day view: {site.name}, {day:%A %d %B %Y}" if site else "Day view",
            "site": site,
            "sites": sites,
            "day": day,
            "previous_day": day - dt.timedelta(days=1) if day else None,
            "next_day": day + dt.timedelta(days=1) if day else None,
            "today": timezone.localdate(timezone.now(), zone) if site else None,
            "rows": rows,
            "has_change_permission": self.has_change_permission(request),
        }
        return TemplateResponse(request, "admin/patients/appointment/day_view.html", context)

    def _get_scoped_or_404(self, request, object_id):
        appointment = self.get_queryset(request).select_related("site").filter(pk=object_id).first()
        if appointment is None:
            raise Http404("No such appointment.")
        return appointment

    def _back_to_day(self, request, appointment):
        target = request.POST.get("next", "")
        if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return HttpResponseRedirect(target)
        day = scheduling.local_day_of(appointment)
        url = reverse("admin:patients_appointment_day")
        return HttpResponseRedirect(f"{url}?site={appointment.site_id}&date={day.isoformat()}")

    def check_in_view(self, request, object_id):
        """POST only (CSRF-protected): check the patient in through the service."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_change_permission(request):
            raise PermissionDenied
        appointment = self._get_scoped_or_404(request, object_id)
        try:
            appointment = scheduling.appointment_check_in(
                appointment=appointment, user=request.user
            )
        except (Conflict, ValidationError) as exc:
            for message in _error_messages(exc):
                self.message_user(request, message, messages.ERROR)
        else:
            local = timezone.localtime(appointment.checked_in_at, site_zone(appointment.site))
            self.message_user(
                request,
                f"Checked in {appointment.patient.mrn} at {local:%H:%M}.",
                messages.SUCCESS,
            )
        return self._back_to_day(request, appointment)

    def cancel_view(self, request, object_id):
        """Cancel with a reason from the fixed list (and an optional short note)."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        appointment = self._get_scoped_or_404(request, object_id)
        form = _CancelForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                scheduling.appointment_cancel(
                    appointment=appointment,
                    reason=form.cleaned_data["reason"],
                    note=form.cleaned_data["note"],
                    user=request.user,
                )
            except ValidationError as exc:
                for field, msgs in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, msgs)
            except Conflict as exc:
                form.add_error(None, _error_messages(exc))
            else:
                self.message_user(request, "Appointment cancelled.", messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:patients_appointment_change", args=[appointment.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Cancel appointment",
            "appointment": appointment,
            "original": appointment,
            "form": form,
        }
        return TemplateResponse(request, "admin/patients/appointment/cancel.html", context)


class _CancelForm(forms.Form):
    reason = forms.ChoiceField(choices=[("", "---------"), *Appointment.CancelReason.choices])
    note = forms.CharField(
        max_length=200,
        required=False,
        help_text="Optional, short; no clinical detail.",
        widget=forms.TextInput(attrs={"size": 60}),
    )


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


class AppointmentInline(ClinicAdminMixin, admin.TabularInline):
    """A patient's appointments on the patient page: read only; booking and changes happen in
    the appointment admin, through the scheduling service."""

    model = Appointment
    fk_name = "patient"
    record_type = "appointment"
    site_path = "site"
    patient_path = "patient_id"
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ["-start"]
    fields = ["local_start", "staff_name", "type", "modality", "status"]
    readonly_fields = fields
    verbose_name_plural = "appointments"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("site", "staff__staff_profile")

    def get_formset(self, request, obj=None, **kwargs):
        if request.method == "GET" and obj is not None:
            self.audit(request, self.get_queryset(request).filter(patient=obj))
        return super().get_formset(request, obj, **kwargs)

    @admin.display(description="start (site time)")
    def local_start(self, obj):
        return obj.local_start().strftime("%Y-%m-%d %H:%M")

    @admin.display(description="staff")
    def staff_name(self, obj):
        profile = getattr(obj.staff, "staff_profile", None)
        return str(profile) if profile else obj.staff.get_username()
