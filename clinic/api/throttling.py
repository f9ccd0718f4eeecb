"""Throttles whose rates are read from settings at request time (not frozen at import)."""

from django.conf import settings
from rest_framework import throttling


class _SettingsRateMixin:
    def get_rate(self):
        return settings.API_THROTTLE_RATES.get(self.scope)


class AnonThrottle(_SettingsRateMixin, throttling.AnonRateThrottle):
    scope = "anon"


class UserThrottle(_SettingsRateMixin, throttling.UserRateThrottle):
    scope = "user"
