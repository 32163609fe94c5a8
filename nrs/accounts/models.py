"""Users and their role grants on org units."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """An NRS user. What they may do comes only from their grants (access.py)."""

    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    is_demo = models.BooleanField(_("demo account"), default=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.username


class Role(models.TextChoices):
    LEADER = "leader", _("Leader")
    COORDINATOR = "coordinator", _("Coordinator")
    REPORTER = "reporter", _("Reporter")
    APPROVER = "approver", _("Approver")
    VIEWER = "viewer", _("Viewer")
    AUDITOR = "auditor", _("Auditor")
    SYSTEM = "system", _("System (machine client)")
    BACKFILL = "backfill", _("Historical backfill (release dates)")


class GrantQuerySet(models.QuerySet["Grant"]):
    def active(self) -> GrantQuerySet:
        """Grants that count: not revoked and not expired (now)."""
        return self.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()),
                           revoked_at__isnull=True)


class Grant(models.Model):
    """``user`` holds ``role`` on ``org_unit`` and everything below it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"),
                             on_delete=models.CASCADE, related_name="grants")
    role = models.CharField(_("role"), max_length=12, choices=Role.choices)
    org_unit = models.ForeignKey("registry.OrgUnit", verbose_name=_("org unit"),
                                 on_delete=models.PROTECT, related_name="grants")
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("granted by"),
                                   null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    # After this moment the grant counts for nothing (GrantQuerySet.active); empty: no end.
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True,
                                      help_text=_("Empty: the grant does not expire."))

    objects = GrantQuerySet.as_manager()

    class Meta:
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "org_unit"],
                                    condition=Q(revoked_at__isnull=True),
                                    name="grant_active_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.org_unit}"


class TokenScope(models.TextChoices):
    READ = "read", _("Read")
    WRITE = "write", _("Read and write")


class ApiToken(models.Model):
    """A machine client's credential. Only a SHA-256 hash of the secret is kept;
    the secret is shown once when the token is issued."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"),
                             on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    org_unit = models.ForeignKey("registry.OrgUnit", verbose_name=_("org unit"),
                                 on_delete=models.PROTECT, related_name="+",
                                 help_text=_("The token works only inside this unit's subtree."))
    scope = models.CharField(_("scope"), max_length=5, choices=TokenScope.choices)
    prefix = models.CharField(_("prefix"), max_length=12, unique=True)
    secret_hash = models.CharField(_("secret hash"), max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    # Written at most once a minute per token (tokens.touch), not on every request.
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
from nrs.accounts.identities import ExternalIdentity  # noqa: E402,F401  (its own module, issue 18)
