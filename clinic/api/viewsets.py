"""The base for every API viewset: role permission, site scoping and read auditing in one place.

Subclasses declare `record_type` (a row of the permission matrix), `site_path` (how to reach the
record's site) and `patient_path` (how to reach the patient id, for the audit trail). There is no
destroy: clinical records are archived through an explicit action, so DELETE answers 405.
"""

from __future__ import annotations

from operator import attrgetter

from rest_framework import mixins, viewsets
from rest_framework.exceptions import MethodNotAllowed

from clinic import access
from clinic.audit import record_reads


class ClinicGenericViewSet(viewsets.GenericViewSet):
    record_type: str = ""
    site_path: str = "site"
    patient_path: str | None = "patient_id"
    audit_reads: bool = True

    @property
    def token(self):
        auth = getattr(self.request, "auth", None)
        return auth if auth is not None and hasattr(auth, "prefix") else None

    def check_permissions(self, request):
        """A method the resource does not offer (DELETE, PUT) is a 405 for every signed-in caller,
        before the role check, so the answer does not depend on who asks."""
        if self.action is None and request.user.is_authenticated:
            raise MethodNotAllowed(request.method)
        super().check_permissions(request)

    def get_queryset(self):
        qs = super().get_queryset()
        return access.scope_queryset(qs, self.request.user, self.site_path, token=self.token)

    def _audit_refs(self, obj):
        patient_id = (
            attrgetter(self.patient_path.replace("__", "."))(obj) if self.patient_path else None
        )
        site_id = (
            attrgetter(f"{self.site_path.replace('__', '.')}_id")(obj) if self.site_path else None
        )
        return obj.pk, patient_id, site_id

    def audit(self, objects, action: str = "read") -> None:
        if not self.audit_reads:
            return
        record_reads(
            actor=self.request.user,
            object_type=self.record_type,
            records=(self._audit_refs(o) for o in objects),
            token=self.token,
            action=action,
        )


class AuditedListMixin(mixins.ListModelMixin):
    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        objects = page if page is not None else list(queryset)
        self.audit(objects)
        serializer = self.get_serializer(objects, many=True)
        if page is not None:
            return self.get_paginated_response(serializer.data)
        from rest_framework.response import Response

        return Response(serializer.data)


class AuditedRetrieveMixin(mixins.RetrieveModelMixin):
    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        self.audit([instance])
        return self._respond_with(instance)

    def _respond_with(self, instance, status_code=200, headers=None):
        from rest_framework.response import Response

        serializer = self.get_serializer(instance)
        return Response(serializer.data, status=status_code, headers=headers)


class ClinicReadOnlyViewSet(AuditedListMixin, AuditedRetrieveMixin, ClinicGenericViewSet):
    pass
