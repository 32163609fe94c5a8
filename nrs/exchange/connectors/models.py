"""Pull connectors (an upstream system NRS fetches from on a schedule) and webhook
subscriptions (a downstream system NRS notifies). Rows change only through
nrs.exchange.connectors.actions (configuration, runs, deliveries; runner.py and webhooks.py
call it); secrets are kept sealed with nrs.exchange.connectors.secretbox."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuthKind(models.TextChoices):
    NONE = "none", _("No credentials")
    BASIC = "basic", _("HTTP Basic (user name and password)")
    BEARER = "bearer", _("Bearer token")


class Connector(models.Model):
    """An upstream system NRS pulls values from, every ``interval_minutes``, into one
    regime × reporting unit, acting as ``run_as`` (a system user with a grant there)."""

    name = models.SlugField(_("name"), max_length=80, unique=True,
                            help_text=_("Used on the command line: nrs connectors run NAME."))
    kind = models.CharField(_("kind"), max_length=20)
    url = models.URLField(_("URL"), max_length=500)
    interval_minutes = models.PositiveIntegerField(_("every (minutes)"), default=60)
    regime = models.ForeignKey("registry.Regime", verbose_name=_("regime"), on_delete=models.PROTECT,
                               related_name="+")
    org_unit = models.ForeignKey("registry.OrgUnit", verbose_name=_("reporting org unit"),
                                 on_delete=models.PROTECT, related_name="+")
    run_as = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("acts as (system user)"),
                               on_delete=models.PROTECT, related_name="+")
    mapping = models.JSONField(_("field mapping"), default=dict, blank=True)
    auth = models.CharField(_("credentials"), max_length=10, choices=AuthKind.choices,
                            default=AuthKind.NONE)
    username = models.CharField(_("user name (Basic)"), max_length=150, blank=True)
    # The password or token, sealed (Fernet); never shown back, never in clear in the database.
    sealed_secret = models.TextField(blank=True, editable=False)
    active = models.BooleanField(_("active"), default=True)
    next_run_at = models.DateTimeField(_("next run at"), default=timezone.now)
    attempt = models.PositiveSmallIntegerField(_("next attempt"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("pull connector")
        verbose_name_plural = _("pull connectors")
        indexes = [
            # The scheduler's query every minute: active connectors whose time has come.
            models.Index(fields=["active", "next_run_at"], name="connector_due_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def has_secret(self) -> bool:
        return bool(self.sealed_secret)


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    STORED = "stored", _("Stored")
    UNCHANGED = "unchanged", _("Nothing new")
    RETRYING = "retrying", _("Failed, will retry")
    FAILED = "failed", _("Failed")


class ConnectorRun(models.Model):
    """One attempt of one run: what was read and stored, or why it failed and where."""

    connector = models.ForeignKey(Connector, verbose_name=_("connector"), on_delete=models.CASCADE,
                                  related_name="runs")
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=RunStatus.choices,
                              default=RunStatus.RUNNING)
    attempt = models.PositiveSmallIntegerField(_("attempt"), default=1)
    trigger = models.CharField(_("trigger"), max_length=10, default="schedule")
    content_sha256 = models.CharField(_("content SHA-256"), max_length=64, blank=True)
    bytes_read = models.PositiveIntegerField(_("bytes read"), default=0)
    values_read = models.PositiveIntegerField(_("values read"), default=0)
    values_stored = models.PositiveIntegerField(_("values stored"), default=0)
    ref = models.CharField(_("where"), max_length=200, blank=True)
    message_vi = models.TextField(_("message (Vietnamese)"), blank=True)
    message_en = models.TextField(_("message (English)"), blank=True)

    class Meta:
        verbose_name = _("connector run")
        verbose_name_plural = _("connector runs")
        indexes = [
            # The run log of one connector, newest first.
            models.Index(fields=["connector", "-started_at"], name="connector_run_log_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.connector} #{self.pk} ({self.status})"


class WebhookEvent(models.TextChoices):
    APPROVED = "approved", _("Submission approved")
    REVISED = "revised", _("Submission revised")


class Subscription(models.Model):
    """A system that receives a signed POST when a submission under ``org_unit`` is
    approved or revised; sent only while ``owner`` may read that unit's data."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    org_unit = models.ForeignKey("registry.OrgUnit", verbose_name=_("org unit (with its subtree)"),
                                 on_delete=models.PROTECT, related_name="+")
    on_approved = models.BooleanField(_("on approval"), default=True)
    on_revised = models.BooleanField(_("on revision"), default=True)
    sealed_secret = models.TextField(editable=False)
    active = models.BooleanField(_("active"), default=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT,
                              related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self) -> str:
        return self.name

    def wants(self, event: str) -> bool:
        return {WebhookEvent.APPROVED: self.on_approved, WebhookEvent.REVISED: self.on_revised}.get(
            WebhookEvent(event), False)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Gave up")


class Delivery(models.Model):
    """One event for one subscriber: the same body (and id) on every attempt."""

    subscription = models.ForeignKey(Subscription, verbose_name=_("subscription"),
                                     on_delete=models.CASCADE, related_name="deliveries")
    delivery_id = models.UUIDField(_("delivery id"), default=uuid.uuid4, unique=True)
    event = models.CharField(_("event"), max_length=10, choices=WebhookEvent.choices)
    payload = models.JSONField(_("payload"))
    status = models.CharField(_("status"), max_length=10, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_status_code = models.PositiveSmallIntegerField(_("last HTTP status"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    next_try_at = models.DateTimeField(_("next try at"), null=True, blank=True, default=timezone.now)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            # The retry sweep every minute: pending deliveries whose time has come.
            models.Index(fields=["status", "next_try_at"], name="delivery_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription} ({self.status})"


class DeliveryAttempt(models.Model):
    """One POST of a delivery: its answer, or why there was none."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="log")
    number = models.PositiveSmallIntegerField(_("attempt"))
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        constraints = [models.UniqueConstraint(fields=["delivery", "number"], name="delivery_attempt_uniq")]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number}"

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
