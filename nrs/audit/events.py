"""The fixed list of audit event types. Add new ones here, never free text."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    REGISTRY_LOADED = "registry.loaded", _("Registry loaded")
    ORGUNIT_CHANGED = "registry.orgunit_changed", _("Org unit changed")
    INDICATOR_CHANGED = "registry.indicator_changed", _("Indicator changed")
    REGIME_CHANGED = "registry.regime_changed", _("Report regime changed")
    METADATA_CHANGED = "registry.metadata_changed", _("Metadata changed")
    TARGET_SET = "registry.target_set", _("Annual target set")
    USER_CREATED = "accounts.user_created", _("User created")
    USER_CHANGED = "accounts.user_changed", _("User changed")
    GRANT_ADDED = "accounts.grant_added", _("Role granted")
    GRANT_REVOKED = "accounts.grant_revoked", _("Role revoked")
    LOGIN = "accounts.login", _("Signed in")
    LOGIN_FAILED = "accounts.login_failed", _("Sign-in failed")
    LOGOUT = "accounts.logout", _("Signed out")
    TOKEN_ISSUED = "accounts.token_issued", _("API token issued")
    TOKEN_REVOKED = "accounts.token_revoked", _("API token revoked")
    VALUES_SAVED = "collection.values_saved", _("Values saved")
    SUBMISSION_TRANSITION = "collection.transition", _("Submission state changed")
    BRIEFING_REQUESTED = "reports.requested", _("Briefing document requested")
    BRIEFING_GENERATED = "reports.generated", _("Briefing document generated")
    BRIEFING_FAILED = "reports.failed", _("Briefing document failed")
    BRIEFING_ARCHIVED = "reports.archived", _("Briefing document archived")
