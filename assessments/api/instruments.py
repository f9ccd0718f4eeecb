"""Instrument definitions, published so an integration can render a form and submit answers.

Definitions are not patient data: no site scoping and no read audit, but the same role rule as
assessments (whoever may view assessments may read them).
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, viewsets
from rest_framework.response import Response

from assessments.api.offered_methods import OfferedMethodsFirstMixin
from assessments.instrument_catalog import published_definition, published_definitions
from assessments.instruments import UnknownInstrument


class InstrumentDefinitionSerializer(serializers.Serializer):
    """The published shape (documentation only; the dict comes from the instrument library)."""

    code = serializers.CharField()
    kind = serializers.ChoiceField(
        choices=["instrument", "recorded_result"],
        help_text="recorded_result: a clinician records a result given elsewhere (C-SSRS level).",
    )
    version = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    licence = serializers.CharField()
    loinc_panel = serializers.CharField(allow_blank=True)
    loinc_total = serializers.CharField(allow_blank=True)
    total_range = serializers.ListField(child=serializers.FloatField(), allow_null=True)
    allows_partial = serializers.BooleanField()
    items = serializers.ListField(
        child=serializers.DictField(),
        help_text="code, label, display_text, kind (choice|integer), required, scored, loinc, "
        "help, choices [{value, label, display_text}], min_value, max_value.",
    )
    bands = serializers.ListField(child=serializers.DictField())
    flags = serializers.ListField(child=serializers.DictField())
    subscales = serializers.ListField(child=serializers.DictField())
    categories = serializers.ListField(child=serializers.DictField())
    context = serializers.ListField(
        child=serializers.DictField(),
        help_text="Facts the server supplies from the patient record (for example sex).",
    )


class InstrumentViewSet(OfferedMethodsFirstMixin, viewsets.GenericViewSet):
    """`GET /instruments/` and `GET /instruments/{code}/`."""

    record_type = "assessment"
    serializer_class = InstrumentDefinitionSerializer
    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    filter_backends: list = []

    def list(self, request):
        page = self.paginate_queryset(published_definitions())
        return self.get_paginated_response(page)

    @extend_schema(parameters=[OpenApiParameter("code", str, OpenApiParameter.PATH)])
    def retrieve(self, request, code=None):
        try:
            return Response(published_definition(code))
        except UnknownInstrument:
            raise exceptions.NotFound("No instrument has this code.") from None
