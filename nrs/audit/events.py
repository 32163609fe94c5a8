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
    LOCKED_OUT = "accounts.locked_out", _("Sign-in locked out")
    PASSWORD_CHANGED = "accounts.password_changed", _("Password changed")
    TWO_FACTOR_ENROLLED = "accounts.2fa_enrolled", _("Two-factor authentication enrolled")
    TWO_FACTOR_FAILED = "accounts.2fa_failed", _("Two-factor code rejected")
    TWO_FACTOR_RESET = "accounts.2fa_reset", _("Two-factor authentication reset")
    RATE_LIMITED = "accounts.rate_limited", _("Request rate limited")
    TOKEN_ISSUED = "accounts.token_issued", _("API token issued")
    TOKEN_REVOKED = "accounts.token_revoked", _("API token revoked")
    VALUES_SAVED = "collection.values_saved", _("Values saved")
    SUBMISSION_TRANSITION = "collection.transition", _("Submission state changed")
    BRIEFING_REQUESTED = "reports.requested", _("Briefing document requested")
    BRIEFING_GENERATED = "reports.generated", _("Briefing document generated")
    BRIEFING_FAILED = "reports.failed", _("Briefing document failed")
    BRIEFING_ARCHIVED = "reports.archived", _("Briefing document archived")
    AUDIT_VERIFIED = "audit.verified", _("Audit chain verified")
    AUDIT_ANCHORED = "audit.anchored", _("Audit chain anchored")
    BACKUP_CREATED = "system.backup_created", _("Backup created")
    BACKUP_RESTORED = "system.backup_restored", _("Backup restored")
