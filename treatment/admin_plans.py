"""Clinician's plan editor in the admin: the draft with its problems, goals, objectives and
interventions inline; sign, co-sign, acknowledge, review, revise and status as buttons; the list of
reviews due. Every write goes through treatment.services.plan; a signed plan shows read-only."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from assessments import asam
from clinic import access
from clinic.admin_base import ClinicModelAdmin
from clinic.errors import ClinicError
from patients.models import Patient
from treatment import plan_policy
from treatment.models import (
    Goal,
    Intervention,
    Objective,
    PlanEvent,
    PlanReview,
    Problem,
    TreatmentPlan,
)
from treatment.selectors.plan import plans_due_for_review, with_plan_parts
from treatment.services import plan as services

RECORD_TYPE = "treatment_plan"


def level_choices() -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for edition in asam.EDITIONS:
        for level in asam.levels(edition):
            seen.setdefault(level.code, f"{level.code} {level.name} (ASAM {edition})")
    return list(seen.items())


def error_text(exc: Exception) -> str:
    if isinstance(exc, ClinicError):
        return exc.detail
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    raise exc


def readable_blockers(plan: TreatmentPlan, errors: dict[str, list[str]]) -> list[str]:
    """`problems.<id>.goals` -> "Problem 1: Add a goal in the patient's own words." """
    labels: dict[str, str] = {}
    for p_no, problem in enumerate(plan.problems.all(), start=1):
        labels[f"problems.{problem.pk}"] = f"Problem {p_no}"
        for g_no, goal in enumerate(problem.goals.all(), start=1):
            labels[f"goals.{goal.pk}"] = f"Problem {p_no}, goal {g_no}"
            for o_no, objective in enumerate(goal.objectives.all(), start=1):
                labels[f"objectives.{objective.pk}"] = (
                    f"Problem {p_no}, goal {g_no}, objective {o_no}"
                )
    for i_no, intervention in enumerate(plan.interventions.all(), start=1):
        labels[f"interventions.{intervention.pk}"] = (
            f"Intervention {i_no} ({intervention.get_intervention_type_display()})"
        )
    lines = []
    for key, msgs in errors.items():
        part = key.rsplit(".", 1)[0] if key.count(".") == 2 else key
        label = labels.get(part, "" if key in ("__all__", "non_field_errors") else key)
        lines.append(f"{label}: {' '.join(msgs)}" if label else " ".join(msgs))
    return lines


# --- Inlines: parts of the draft, saved through the services -------------------------------------


class _PartForm(forms.ModelForm):
    remove = forms.BooleanField(required=False, label="Remove from draft")


class _PartInline(admin.StackedInline):
    extra = 0
    can_delete = False
    fk_name = "plan"
    form = _PartForm

    def _plan_open(self, obj) -> bool:
        return obj is None or not obj.is_locked

    def has_view_permission(self, request, obj=None):
        return access.can(request.user, RECORD_TYPE, "view")

    def has_add_permission(self, request, obj=None):
        return access.can(request.user, RECORD_TYPE, "add") and self._plan_open(obj)

    def has_change_permission(self, request, obj=None):
        return access.can(request.user, RECORD_TYPE, "change") and self._plan_open(obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).filter(archived_at__isnull=True)

    def get_formset(self, request, obj=None, **kwargs):
        request._treatment_plan = obj
        return super().get_formset(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        return (
            fields
            if self.has_change_permission(request, obj)
            else [f for f in fields if f != "remove"]
        )


class ProblemInline(_PartInline):
    model = Problem
    fields = ["description", "strengths", "position", "remove"]


class GoalInline(_PartInline):
    model = Goal
    fields = ["problem", "patient_words", "clinical_restatement", "position", "remove"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "problem":
            plan = getattr(request, "_treatment_plan", None)
            kwargs["queryset"] = Problem.objects.filter(plan=plan, archived_at__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ObjectiveInline(_PartInline):
    model = Objective
    fields = ["goal", "description", "measure", "target_date", "status", "position", "remove"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "goal":
            plan = getattr(request, "_treatment_plan", None)
            kwargs["queryset"] = Goal.objects.filter(plan=plan, archived_at__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class InterventionForm(_PartForm):
    objective_links = forms.ModelMultipleChoiceField(
        queryset=Objective.objects.none(), required=False, label="Objectives served"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["objective_links"] = list(
                self.instance.objectives.filter(archived_at__isnull=True).values_list(
                    "pk", flat=True
                )
            )


class InterventionInline(_PartInline):
    model = Intervention
    form = InterventionForm
    fields = [
        "intervention_type",
        "description",
        ("frequency_count", "frequency_period", "duration_weeks"),
        "responsible_staff",
        "objective_links",
        "rationale",
        "position",
        "remove",
    ]
    readonly_fields = ["rationale"]

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if not self.has_change_permission(request, obj):
            fields = [f for f in fields if f != "objective_links"]
        return fields

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        field = formset.form.base_fields.get("objective_links")
        if field is not None:
            field.queryset = Objective.objects.filter(plan=obj, archived_at__isnull=True)
        return formset

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "responsible_staff":
            plan = getattr(request, "_treatment_plan", None)
            users = get_user_model().objects.filter(
                is_active=True,
                groups__name__in=[access.ROLE_GROUPS[r] for r in access.CLINICAL_ROLES],
            )
            if plan is not None:
                users = users.filter(staff_profile__sites=plan.patient.site_id)
            kwargs["queryset"] = users.distinct()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_view_permission(self, request, obj=None):
        return access.can(request.user, RECORD_TYPE, "view")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReviewInline(_ReadOnlyInline):
    model = PlanReview
    fields = ["reviewed_on", "reviewer", "outcome", "next_review_due", "summary"]
    readonly_fields = fields


class EventInline(_ReadOnlyInline):
    model = PlanEvent
    fields = ["occurred_at", "kind", "from_status", "to_status", "actor", "note"]
    readonly_fields = fields


# --- The plan ------------------------------------------------------------------------------------


class PlanForm(forms.ModelForm):
    level_of_care = forms.ChoiceField(choices=level_choices)

    class Meta:
        model = TreatmentPlan
        fields = ["patient", "level_of_care", "start_date"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "start_date" in self.fields and not self.instance.pk:
            self.fields["start_date"].initial = timezone.localdate

    def clean(self):
        """The service's own checks, so problems show next to the fields instead of after."""
        data = super().clean()
        if self.errors:
            return data
        adding = self.instance._state.adding
        patient = data.get("patient") if adding else self.instance.patient
        probe = TreatmentPlan(
            patient=patient,
            episode=patient.episodes.order_by("-number").first() if adding else None,
            level_of_care=data.get("level_of_care", self.instance.level_of_care),
            start_date=data.get("start_date", self.instance.start_date),
        )
        if not adding:
            probe.episode_id = self.instance.episode_id
        try:
            services.plan_validate(probe)
        except ValidationError as exc:
            for field, msgs in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, msgs)
        if adding and services.open_draft(patient) is not None:
            self.add_error(None, "This patient already has a draft plan: open that one.")
        return data


class ReviewDueFilter(admin.SimpleListFilter):
    title = "review"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [("overdue", "Overdue"), ("week", "Due within 7 days")]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "overdue":
            return queryset.filter(status__in=plan_policy.IN_FORCE, next_review_due__lt=today)
        if self.value() == "week":
            return queryset.filter(
                status__in=plan_policy.IN_FORCE,
                next_review_due__lte=today + dt.timedelta(days=7),
            )
        return queryset


@admin.register(TreatmentPlan)
class TreatmentPlanAdmin(ClinicModelAdmin):
    record_type = RECORD_TYPE
    site_path = "patient__site"
    patient_path = "patient_id"
    form = PlanForm
    raw_id_fields = ["patient"]
    list_display = [
        "patient_mrn",
        "revision",
        "status",
        "level_of_care",
        "start_date",
        "next_review_due",
        "review_state",
    ]
    list_filter = ["status", ReviewDueFilter, "level_of_care"]
    list_select_related = ["patient"]
    search_fields = ["patient__mrn"]
    search_help_text = "Patient MRN."
    ordering = ["next_review_due"]
    inlines = [
        ProblemInline,
        GoalInline,
        ObjectiveInline,
        InterventionInline,
        ReviewInline,
        EventInline,
    ]
    readonly_fields = [
        "episode",
        "status",
        "revision",
        "supersedes",
        "next_review_due",
        "signing_blockers",
        "signed_by",
        "signed_at",
        "cosign_required",
        "cosigned_by",
        "cosigned_at",
        "acknowledgement_method",
        "acknowledged_on",
        "acknowledgement_note",
    ]

    # --- display -------------------------------------------------------------------------------
    @admin.display(description="patient", ordering="patient__mrn")
    def patient_mrn(self, obj):
        return obj.patient.mrn

    @admin.display(description="review")
    def review_state(self, obj):
        if obj.review_overdue():
            return "Overdue"
        return ""

    @admin.display(description="before signing")
    def signing_blockers(self, obj):
        if obj is None or obj.pk is None or obj.is_locked:
            return "—"
        lines = readable_blockers(obj, services.plan_signing_errors(obj))
        return "; ".join(lines) or "Ready to sign."

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["patient", "level_of_care", "start_date"]
        return ["patient", "level_of_care", "start_date", *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["patient", *self.readonly_fields]

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj = with_plan_parts(TreatmentPlan.objects.filter(pk=obj.pk)).get()
        return obj

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or not obj.is_locked)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "patient":
            kwargs["queryset"] = Patient.objects.active().visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # --- saving through the services ------------------------------------------------------------
    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            changes = {
                f: data[f] for f in form.changed_data if f in ("level_of_care", "start_date")
            }
            saved = services.plan_update(plan=obj, user=request.user, **changes)
        else:
            saved = services.plan_create(
                patient=data["patient"],
                user=request.user,
                level_of_care=data["level_of_care"],
                start_date=data.get("start_date"),
            )
        for field in TreatmentPlan._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))
        obj._state.adding = False

    def save_formset(self, request, form, formset, change):
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        if formset.model not in (Problem, Goal, Objective, Intervention):
            return
        plan = form.instance
        for part_form in formset.forms:
            if not part_form.has_changed() or not part_form.cleaned_data:
                continue
            try:
                self._save_part(request, plan, formset.model, part_form)
            except (ValidationError, ClinicError) as exc:
                name = formset.model._meta.verbose_name
                messages.error(request, f"{name.capitalize()} not saved: {error_text(exc)}")

    def _save_part(self, request, plan, model, part_form) -> None:
        data, user = part_form.cleaned_data, request.user
        instance = part_form.instance
        existing = instance.pk is not None and not instance._state.adding
        if data.get("remove"):
            if existing:
                services.plan_part_archive(part=instance, user=user, reason="removed in admin")
            return
        allowed = {
            Problem: services.PROBLEM_FIELDS,
            Goal: services.GOAL_FIELDS,
            Objective: services.OBJECTIVE_FIELDS,
            Intervention: services.INTERVENTION_FIELDS,
        }[model]
        values = {
            k: v
            for k, v in data.items()
            if k in allowed and (not existing or k in part_form.changed_data)
        }
        if model is Problem:
            if existing:
                services.problem_update(problem=instance, user=user, **values)
            else:
                services.problem_add(plan=plan, user=user, **values)
        elif model is Goal:
            if existing:
                services.goal_update(goal=instance, user=user, **values)
            else:
                services.goal_add(problem=data["problem"], user=user, **values)
        elif model is Objective:
            if existing:
                services.objective_update(objective=instance, user=user, **values)
            else:
                services.objective_add(goal=data["goal"], user=user, **values)
        else:
            links = data.get("objective_links")
            if existing:
                services.intervention_update(
                    intervention=instance,
                    user=user,
                    objectives=links if "objective_links" in part_form.changed_data else None,
                    **values,
                )
            else:
                services.intervention_add(plan=plan, user=user, objectives=links, **values)

    # --- buttons: custom views calling one service each -----------------------------------------
    def get_urls(self):
        views = [
            ("sign", self.sign_view),
            ("cosign", self.cosign_view),
            ("acknowledge", self.acknowledge_view),
            ("review", self.review_view),
            ("revise", self.revise_view),
            ("status", self.status_view),
        ]
        custom = [
            path(
                f"<uuid:object_id>/{name}/",
                self.admin_site.admin_view(view),
                name=f"treatment_treatmentplan_{name}",
            )
            for name, view in views
        ]
        custom.append(
            path(
                "due/",
                self.admin_site.admin_view(self.due_view),
                name="treatment_treatmentplan_due",
            )
        )
        return custom + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        extra_context["plan_may_change"] = access.can(request.user, RECORD_TYPE, "change")
        return super().change_view(request, object_id, form_url, extra_context)

    def _plan_or_404(self, request, object_id) -> TreatmentPlan:
        return get_object_or_404(
            with_plan_parts(self.get_queryset(request)).select_related("patient"), pk=object_id
        )

    def _action(
        self,
        request,
        object_id,
        *,
        title: str,
        form_class,
        run,
        submit: str,
        intro: str = "",
        action: str = "change",
        form_kwargs=None,
    ):
        """One page per button: a form, the service call, errors next to it, back to the plan."""
        if not access.can(request.user, RECORD_TYPE, action):
            return HttpResponse(status=403)
        plan = self._plan_or_404(request, object_id)
        data = request.POST if request.method == "POST" else None
        form = form_class(data, **(form_kwargs or {}))
        if request.method == "POST" and form.is_valid():
            try:
                target = run(plan, form.cleaned_data)
            except ValidationError as exc:
                errors = (
                    exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
                )
                other = {k: v for k, v in errors.items() if k not in form.fields}
                for field in set(errors) - set(other):
                    form.add_error(field, errors[field])
                if other:
                    form.add_error(None, readable_blockers(plan, other))
            except ClinicError as exc:
                form.add_error(None, exc.detail)
            else:
                self.message_user(request, f"{title}: done.", messages.SUCCESS)
                if not isinstance(target, TreatmentPlan):
                    target = plan
                return HttpResponseRedirect(
                    reverse("admin:treatment_treatmentplan_change", args=[target.pk])
                )
        if request.method == "GET":
            self.audit(request, [plan])
        blockers = []
        if not plan.is_locked:
            blockers = readable_blockers(plan, services.plan_signing_errors(plan))
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "plan": plan,
            "form": form,
            "intro": intro,
            "submit": submit,
            "blockers": blockers,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/treatment/treatmentplan/action.html", context)

    def sign_view(self, request, object_id):
        return self._action(
            request,
            object_id,
            title="Sign the plan",
            form_class=ConfirmForm,
            submit="Sign",
            intro="Once signed the plan is locked; changes need a revision.",
            run=lambda plan, data: services.plan_sign(plan=plan, user=request.user),
        )

    def cosign_view(self, request, object_id):
        return self._action(
            request,
            object_id,
            title="Co-sign the plan",
            form_class=ConfirmForm,
            submit="Co-sign",
            run=lambda plan, data: services.plan_cosign(plan=plan, user=request.user),
        )

    def acknowledge_view(self, request, object_id):
        return self._action(
            request,
            object_id,
            title="Patient acknowledgement",
            form_class=AcknowledgeForm,
            submit="Record",
            run=lambda plan, data: services.plan_acknowledge(plan=plan, user=request.user, **data),
        )

    def revise_view(self, request, object_id):
        return self._action(
            request,
            object_id,
            title="Revise the plan",
            form_class=ReviseForm,
            submit="Draft a revision",
            action="add",
            intro="A new draft copies this plan; this one stays in force until the new one is "
            "signed.",
            run=lambda plan, data: services.plan_revise(plan=plan, user=request.user, **data),
        )

    def status_view(self, request, object_id):
        plan = self._plan_or_404(request, object_id)
        return self._action(
            request,
            object_id,
            title="Change status",
            form_class=StatusForm,
            form_kwargs={"plan": plan},
            submit="Change status",
            run=lambda plan, data: services.plan_transition(plan=plan, user=request.user, **data),
        )

    def review_view(self, request, object_id):
        plan = self._plan_or_404(request, object_id)
        objectives = [
            o for p in plan.problems.all() for g in p.goals.all() for o in g.objectives.all()
        ]
        return self._action(
            request,
            object_id,
            title="Review the plan",
            form_class=ReviewForm,
            form_kwargs={"objectives": objectives},
            submit="Record review",
            intro="Record progress on every objective. Leave the next review date blank to use "
            "the clinic's cadence for this level of care.",
            run=lambda plan, data: services.plan_review(
                plan=plan, user=request.user, **ReviewForm.service_values(data, objectives)
            ),
        )

    def due_view(self, request):
        if not access.can(request.user, RECORD_TYPE, "view"):
            return HttpResponse(status=403)
        today = timezone.localdate()
        plans = list(plans_due_for_review(request.user, 7))
        self.audit(request, plans)
        context = {
            **self.admin_site.each_context(request),
            "title": "Plan reviews due",
            "overdue": [p for p in plans if p.next_review_due < today],
            "due_soon": [p for p in plans if p.next_review_due >= today],
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/treatment/treatmentplan/due_reviews.html", context)


class ConfirmForm(forms.Form):
    pass


class AcknowledgeForm(forms.Form):
    method = forms.ChoiceField(choices=TreatmentPlan.AcknowledgementMethod.choices)
    acknowledged_on = forms.DateField(
        initial=timezone.localdate, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(required=False, max_length=200)


class ReviseForm(forms.Form):
    reason = forms.CharField(required=False, max_length=200)


class StatusForm(forms.Form):
    to_status = forms.ChoiceField(label="New status")
    reason = forms.CharField(required=False, max_length=200, help_text="Required to discontinue.")

    def __init__(self, *args, plan: TreatmentPlan, **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(TreatmentPlan.Status.choices)
        self.fields["to_status"].choices = [
            (s, labels[s]) for s in plan_policy.manual_transitions(plan.status)
        ]


class ReviewForm(forms.Form):
    reviewed_on = forms.DateField(
        initial=timezone.localdate, widget=forms.DateInput(attrs={"type": "date"})
    )
    outcome = forms.ChoiceField(choices=PlanReview.Outcome.choices)
    next_review_due = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    summary = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, objectives, **kwargs):
        super().__init__(*args, **kwargs)
        for n, objective in enumerate(objectives, start=1):
            self.fields[f"status_{objective.pk}"] = forms.ChoiceField(
                choices=Objective.Status.choices,
                initial=objective.status,
                label=f"Objective {n}",
                help_text=objective.description[:120],
            )
            self.fields[f"note_{objective.pk}"] = forms.CharField(
                required=False, label=f"Objective {n} note"
            )

    @staticmethod
    def service_values(data, objectives) -> dict:
        return {
            "reviewed_on": data["reviewed_on"],
            "outcome": data["outcome"],
            "next_review_due": data.get("next_review_due"),
            "summary": data.get("summary", ""),
            "progress": [
                {
                    "objective": o.pk,
                    "status": data[f"status_{o.pk}"],
                    "note": data.get(f"note_{o.pk}", ""),
                }
                for o in objectives
            ],
        }
