"""Assessment and alert admin: responses, the Administer-instrument view, clinical alerts."""

from __future__ import annotations

import uuid

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from assessments.admin_forms import (
    ANSWERS_PREFIX,
    AdministerDetailsForm,
    AdministerStartForm,
    AlertNoteForm,
    answers_form_class,
    answers_from,
)
from assessments.instrument_catalog import published_definition
from assessments.instruments import UnknownInstrument
from assessments.models import Alert, Assessment
from assessments.services import alert as alert_services
from assessments.services import assessment as assessment_services
from clinic import access
from clinic.admin_base import ClinicModelAdmin
from clinic.errors import ClinicError

# =================================================================================================
# Assessments and alerts: instrument responses, the "Administer instrument" view, clinical alerts.
# =================================================================================================

_SEVERITY_COLOURS = {
    "critical": "#ba2121",
    "high": "#d9534f",
    "medium": "#e6a100",
    "low": "#417690",
}


def _alert_badge(alert: Alert):
    colour = _SEVERITY_COLOURS.get(alert.severity, "#666")
    label = "SUICIDE RISK" if alert.kind == "suicide_risk" else alert.kind.replace("_", " ")
    return format_html(
        '<span style="background:{};color:#fff;padding:1px 6px;border-radius:3px;'
        'font-weight:bold">{} · {}</span>',
        colour,
        alert.severity.upper(),
        label,
    )


class SupersededFilter(admin.SimpleListFilter):
    title = "version"
    parameter_name = "version"

    def lookups(self, request, model_admin):
        return [("current", "Current only"), ("superseded", "Superseded (corrected)")]

    def queryset(self, request, queryset):
        if self.value() == "current":
            return queryset.filter(superseded_by__isnull=True)
        if self.value() == "superseded":
            return queryset.filter(superseded_by__isnull=False)
        return queryset


class AssessmentAdmin(ClinicModelAdmin):
    """Read-only list and detail (score, band, flags, alerts); new responses go through the
    "Administer instrument" view, corrections through the API's supersede."""

    record_type = "assessment"
    site_path = "patient__site"
    patient_path = "patient_id"
    list_display = [
        "administered_at",
        "patient_link",
        "instrument_code",
        "total",
        "band",
        "flag_list",
        "alert_list",
        "setting",
        "version_state",
    ]
    list_filter = ["instrument_code", "setting", SupersededFilter]
    search_fields = ["patient__mrn"]
    list_select_related = ["patient", "superseded_by"]
    date_hierarchy = "administered_at"
    fields = [
        "patient",
        "instrument_code",
        "instrument_version",
        "score_summary",
        "flag_list",
        "alert_list",
        "answer_table",
        "setting",
        "administered_at",
        "administered_by",
        "recorded_by",
        "appointment_id",
        "supersedes",
        "supersede_reason",
        "superseded_by_link",
        "created_at",
        "archived_at",
        "archive_reason",
    ]
    change_list_template = "admin/assessments/assessment/change_list.html"

    def has_add_permission(self, request, *args):
        return False  # the administer view replaces the generic add form

    def has_change_permission(self, request, obj=None):
        return False  # submitted assessments are immutable

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("administer/", view(self.administer_view), name="assessments_administer"),
            path(
                "administer/result/<uuid:pk>/",
                view(self.administer_result_view),
                name="assessments_administer_result",
            ),
            *super().get_urls(),
        ]

    # --- list and detail ---------------------------------------------------------------------
    def get_changelist_instance(self, request):
        """Fetch the alerts of the whole page in one query, for the alerts column."""
        changelist = super().get_changelist_instance(request)
        grouped = alert_services.alerts_by_source(
            alert_services.ASSESSMENT_SOURCE, [a.pk for a in changelist.result_list]
        )
        for assessment in changelist.result_list:
            assessment._page_alerts = grouped.get(str(assessment.pk), [])
        return changelist

    def _alerts(self, obj):
        alerts = getattr(obj, "_page_alerts", None)
        if alerts is None:
            alerts = alert_services.alerts_by_source(alert_services.ASSESSMENT_SOURCE, [obj.pk])
            alerts = alerts[str(obj.pk)]
        return alerts

    @admin.display(description="patient", ordering="patient__mrn")
    def patient_link(self, obj):
        url = reverse("admin:assessments_assessment_changelist")
        return format_html(
            '<a href="{}?patient__id__exact={}">{}</a>', url, obj.patient_id, obj.patient.mrn
        )

    @admin.display(description="flags")
    def flag_list(self, obj):
        return ", ".join(f["code"] for f in obj.flags) or "—"

    @admin.display(description="alerts")
    def alert_list(self, obj):
        alerts = self._alerts(obj)
        if not alerts:
            return "—"
        return format_html_join(
            " ",
            '<a href="{}">{} ({})</a>',
            (
                (reverse("admin:assessments_alert_change", args=[a.pk]), _alert_badge(a), a.status)
                for a in alerts
            ),
        )

    @admin.display(description="version")
    def version_state(self, obj):
        return "superseded" if obj.is_superseded else "current"

    @admin.display(description="score")
    def score_summary(self, obj):
        result = obj.result or {}
        parts = []
        if result.get("total") is not None:
            parts.append(f"Total {result['total']}")
        if result.get("band_label"):
            parts.append(result["band_label"])
        for code, value in (result.get("subscales") or {}).items():
            parts.append(f"{code} {value}")
        parts.extend(result.get("notes") or [])
        return " · ".join(str(p) for p in parts) or "—"

    @admin.display(description="answers")
    def answer_table(self, obj):
        try:
            definition = published_definition(obj.instrument_code)
        except UnknownInstrument:
            definition = {"items": []}
        labels = {i["code"]: i for i in definition["items"]}
        rows = []
        for code, value in (obj.answers or {}).items():
            item = labels.get(code, {"display_text": code, "choices": []})
            choice = next((c for c in item["choices"] if c["value"] == value), None)
            shown = f"{value}: {choice['display_text']}" if choice else value
            rows.append((item["display_text"], shown))
        return format_html(
            "<table>{}</table>", format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows)
        )

    @admin.display(description="superseded by")
    def superseded_by_link(self, obj):
        if not obj.is_superseded:
            return "—"
        new = obj.superseded_by
        url = reverse("admin:assessments_assessment_change", args=[new.pk])
        return format_html('<a href="{}">{}</a>', url, new)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_administer": self._can(request, "add")}
        return super().changelist_view(request, extra_context)

    # --- the "Administer instrument" view ----------------------------------------------------
    def administer_view(self, request):
        """Pick patient and instrument, answer the generated form, see the result at once."""
        if not self._can(request, "add"):
            raise PermissionDenied
        source = request.POST if request.method == "POST" else request.GET
        start = AdministerStartForm(
            source if "instrument" in source else None,
            user=request.user,
            admin_site=self.admin_site,
            initial={"patient": _uuid_or_none(request.GET.get("patient"))},
        )
        if not start.is_bound or not start.is_valid():
            return self._render_administer(request, {"start_form": start})
        definition = published_definition(start.cleaned_data["instrument"])
        form_class = answers_form_class(definition)
        if request.method != "POST":
            details = AdministerDetailsForm(
                initial=start.cleaned_data, user=request.user, admin_site=self.admin_site
            )
            return self._render_administer(
                request,
                {
                    "details_form": details,
                    "answers_form": form_class(prefix=ANSWERS_PREFIX),
                    "definition": definition,
                    "patient": start.cleaned_data["patient"],
                },
            )
        details = AdministerDetailsForm(request.POST, user=request.user, admin_site=self.admin_site)
        answers = form_class(request.POST, prefix=ANSWERS_PREFIX)
        if details.is_valid() and answers.is_valid():
            try:
                assessment = assessment_services.assessment_submit(
                    patient=details.cleaned_data["patient"],
                    instrument_code=details.cleaned_data["instrument"],
                    answers=answers_from(answers),
                    user=request.user,
                    setting=details.cleaned_data["setting"],
                    administered_at=details.cleaned_data["administered_at"],
                )
            except ValidationError as exc:
                _errors_onto_forms(exc, details, answers)
            except ClinicError as exc:
                details.add_error(None, exc.detail)
            else:
                url = reverse("admin:assessments_administer_result", args=[assessment.pk])
                return HttpResponseRedirect(url)
        return self._render_administer(
            request,
            {
                "details_form": details,
                "answers_form": answers,
                "definition": definition,
                "patient": start.cleaned_data["patient"],
            },
        )

    def _render_administer(self, request, context):
        forms = [f for f in (context.get("start_form"), context.get("details_form")) if f]
        media = self.media
        for form in (*forms, context.get("answers_form")):
            if form is not None:
                media += form.media
        return TemplateResponse(
            request,
            "admin/assessments/assessment/administer.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": "Administer instrument",
                "media": media,
                **context,
            },
        )

    def administer_result_view(self, request, pk):
        if not self._can(request, "view"):
            raise PermissionDenied
        try:
            assessment = self.get_queryset(request).select_related("patient").get(pk=pk)
        except Assessment.DoesNotExist:
            raise Http404("No such record.") from None
        self.audit(request, [assessment])
        show_alerts = access.can(request.user, "alert", "view")
        return TemplateResponse(
            request,
            "admin/assessments/assessment/administer_result.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": "Assessment result",
                "assessment": assessment,
                "result": assessment.result,
                "alerts": self._alerts(assessment) if show_alerts else None,
                "definition_title": _title(assessment.instrument_code),
                "can_administer": self._can(request, "add"),
            },
        )


def _uuid_or_none(value):
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def _title(code: str) -> str:
    try:
        return published_definition(code)["title"]
    except UnknownInstrument:
        return code


def _errors_onto_forms(exc: ValidationError, details, answers) -> None:
    """Service errors next to the fields they name; anything else at the top of the form."""
    for key, messages_ in exc.message_dict.items():
        if key.startswith("answers."):
            code = key.removeprefix("answers.")
            answers.add_error(code if code in answers.fields else None, messages_)
        elif key in details.fields:
            details.add_error(key, messages_)
        elif key == "answers":
            answers.add_error(None, messages_)
        else:
            details.add_error(None, messages_)


class AlertStateFilter(admin.SimpleListFilter):
    """Unresolved alerts are the work queue, so they are what the list shows by default."""

    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("unresolved", "Unresolved"), ("resolved", "Resolved"), ("all", "All")]

    def queryset(self, request, queryset):
        value = self.value() or "unresolved"
        if value == "unresolved":
            return queryset.unresolved()
        if value == "resolved":
            return queryset.filter(status=Alert.Status.RESOLVED)
        return queryset

    def choices(self, changelist):
        current = self.value() or "unresolved"
        for value, label in self.lookup_choices:
            yield {
                "selected": current == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }


class AlertAdmin(ClinicModelAdmin):
    """Open alerts first, suicide risk at the top. Acknowledge and resolve go through the same
    services as the API, so the clinician-only rule holds here too."""

    record_type = "alert"
    site_path = "patient__site"
    patient_path = "patient_id"
    list_display = [
        "badge",
        "code",
        "patient_mrn",
        "status",
        "requires_clinician_ack",
        "created_at",
        "acknowledged_at",
        "resolved_at",
    ]
    list_filter = [AlertStateFilter, "severity", "kind"]
    search_fields = ["patient__mrn", "code"]
    list_select_related = ["patient"]
    actions = ["acknowledge_selected", "resolve_selected"]
    fields = [
        "badge",
        "patient",
        "code",
        "kind",
        "severity",
        "text",
        "source_link",
        "requires_clinician_ack",
        "status",
        "raised_by",
        "created_at",
        "acknowledged_by",
        "acknowledged_at",
        "acknowledge_note",
        "resolved_by",
        "resolved_at",
        "resolve_note",
    ]
    change_form_template = "admin/assessments/alert/change_form.html"

    def get_queryset(self, request):
        """Scoped like every admin, annotated with the ranks the default ordering needs (the
        base class would order before the annotation exists)."""
        qs = Alert.objects.with_priority().order_by(*Alert.PRIORITY_ORDERING)
        return access.scope_queryset(qs, request.user, self.site_path)

    def get_ordering(self, request):
        return list(Alert.PRIORITY_ORDERING)

    def has_add_permission(self, request, *args):
        return False  # alerts are raised by rules, not typed in

    def has_change_permission(self, request, obj=None):
        return False  # fields never change by hand: acknowledge and resolve are actions

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not self._can(request, "change"):
            actions.pop("acknowledge_selected", None)
            actions.pop("resolve_selected", None)
        return actions

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            *(
                path(
                    f"<uuid:pk>/{transition}/",
                    view(self.transition_view),
                    {"transition": transition},
                    name=f"assessments_alert_{transition}",
                )
                for transition in self._TRANSITIONS
            ),
            *super().get_urls(),
        ]

    @admin.display(description="alert", ordering="severity_rank")
    def badge(self, obj):
        return _alert_badge(obj)

    @admin.display(description="patient", ordering="patient__mrn")
    def patient_mrn(self, obj):
        return obj.patient.mrn

    @admin.display(description="source")
    def source_link(self, obj):
        if obj.source_type == alert_services.ASSESSMENT_SOURCE and obj.source_id:
            url = reverse("admin:assessments_assessment_change", args=[obj.source_id])
            return format_html('<a href="{}">assessment</a>', url)
        return f"{obj.source_type} {obj.source_id}".strip() or "—"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {})}
        obj = self.get_queryset(request).filter(pk=object_id).first()
        if obj is not None and alert_services.may_act_on(obj, request.user):
            extra_context["may_acknowledge"] = obj.status == Alert.Status.OPEN
            extra_context["may_resolve"] = obj.status == Alert.Status.ACKNOWLEDGED or (
                obj.status == Alert.Status.OPEN and not obj.requires_clinician_ack
            )
        return super().change_view(request, object_id, form_url, extra_context)

    # --- acknowledge / resolve ---------------------------------------------------------------
    _TRANSITIONS = {"acknowledge": "Acknowledge", "resolve": "Resolve"}

    def _apply(self, request, alerts, transition: str, note: str) -> int:
        service = (
            alert_services.alert_acknowledge
            if transition == "acknowledge"
            else alert_services.alert_resolve
        )
        done = 0
        for alert in alerts:
            try:
                service(alert=alert, user=request.user, note=note)
            except ValidationError as exc:
                for msgs in exc.message_dict.values():
                    self.message_user(request, f"{alert.code}: {' '.join(msgs)}", messages.ERROR)
            except ClinicError as exc:
                self.message_user(request, f"{alert.code}: {exc.detail}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, f"{self._TRANSITIONS[transition]}d {done} alert(s).")
        return done

    def transition_view(self, request, pk, transition):
        if transition not in self._TRANSITIONS:
            raise Http404("No such action.")
        if not self._can(request, "change"):
            raise PermissionDenied
        alert = get_object_or_404(self.get_queryset(request), pk=pk)
        form = AlertNoteForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            self._apply(request, [alert], transition, form.cleaned_data["note"])
            return HttpResponseRedirect(reverse("admin:assessments_alert_change", args=[pk]))
        return self._render_transition(request, [alert], transition, form, action=None)

    def _bulk(self, request, queryset, transition: str):
        form = AlertNoteForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            self._apply(request, list(queryset), transition, form.cleaned_data["note"])
            return None
        return self._render_transition(
            request, list(queryset), transition, form, action=f"{transition}_selected"
        )

    def _render_transition(self, request, alerts, transition, form, action):
        return TemplateResponse(
            request,
            "admin/assessments/alert/transition.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": f"{self._TRANSITIONS[transition]} alerts",
                "alerts": [(a, alert_services.may_act_on(a, request.user)) for a in alerts],
                "transition": transition,
                "verb": self._TRANSITIONS[transition],
                "form": form,
                "action": action,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    @admin.action(description="Acknowledge selected alerts")
    def acknowledge_selected(self, request, queryset):
        return self._bulk(request, queryset, "acknowledge")

    @admin.action(description="Resolve selected alerts")
    def resolve_selected(self, request, queryset):
        return self._bulk(request, queryset, "resolve")


admin.site.register(Assessment, AssessmentAdmin)
admin.site.register(Alert, AlertAdmin)
