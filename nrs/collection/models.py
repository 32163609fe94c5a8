"""Submissions and data values. Rows change only through nrs.collection.actions.

A value is never updated: every save writes new rows, and the current value of
a key is its newest row. A submission's versions record when each one was
approved, which gives every value its vintage ("as known on D").
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned")


EDITABLE = frozenset({State.DRAFT, State.RETURNED})


class Submission(models.Model):
    """One report: a regime × reporting unit × period."""

    regime = models.ForeignKey("registry.Regime", verbose_name=_("regime"),
                               on_delete=models.PROTECT, related_name="submissions")
    org_unit = models.ForeignKey("registry.OrgUnit", verbose_name=_("org unit"),
                                 on_delete=models.PROTECT, related_name="submissions")
    period = models.CharField(_("period"), max_length=16)
    period_start = models.DateField(_("period start"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices,
                             default=State.DRAFT)
    version = models.PositiveIntegerField(_("current version"), default=1)
    backfill = models.BooleanField(_("historical backfill"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    first_submitted_at = models.DateTimeField(_("first submitted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        constraints = [models.UniqueConstraint(fields=["regime", "org_unit", "period"],
                                               name="submission_uniq")]
        indexes = [
            # The compliance matrix: every submission of a regime for a period.
            models.Index(fields=["regime", "period"], name="submission_regime_period_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.regime.code} · {self.org_unit.code} · {self.period}"

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE


class SubmissionVersion(models.Model):
    """Version 1 is the first report; a revision of an approved report opens the next."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("submission version")
        verbose_name_plural = _("submission versions")
        constraints = [models.UniqueConstraint(fields=["submission", "number"],
                                               name="submission_version_uniq")]

    def __str__(self) -> str:
        return f"{self.submission} v{self.number}"


class Transition(models.Model):
    """One step of a submission's workflow: who, when, why."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE,
                                   related_name="transitions")
    version = models.PositiveIntegerField(_("version"))
    from_state = models.CharField(_("from"), max_length=10, choices=State.choices, blank=True)
    to_state = models.CharField(_("to"), max_length=10, choices=State.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"), auto_now_add=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("transition")
        verbose_name_plural = _("transitions")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.submission} {self.from_state}→{self.to_state}"


class Flag(models.TextChoices):
    ESTIMATE = "estimate", _("Estimate")
    PROVISIONAL = "provisional", _("Provisional")
    REVISED = "revised", _("Revised")
    CONFIDENTIAL = "confidential", _("Confidential")


class DataValue(models.Model):
    """One vintage of one value. Key: indicator × org unit × period × breakdown."""

    version = models.ForeignKey(SubmissionVersion, on_delete=models.PROTECT,
                                related_name="values")
    # No index of its own: both composite indexes below start with it (one index less to
    # keep on every insert; docs/benchmarks.md, ingest).
    indicator = models.ForeignKey("registry.Indicator", on_delete=models.PROTECT,
                                  related_name="values", db_index=False)
    org_unit = models.ForeignKey("registry.OrgUnit", on_delete=models.PROTECT,
                                 related_name="values")
    period = models.CharField(_("period"), max_length=16)
    period_start = models.DateField(_("period start"))
    # "" is the total; otherwise "CODELIST=CODE;CODELIST=CODE", sorted.
    breakdown = models.CharField(_("breakdown"), max_length=200, blank=True, default="")
    value = models.DecimalField(_("value"), max_digits=24, decimal_places=6, null=True,
                                blank=True, help_text=_("Blank: the value was cleared."))
    flag = models.CharField(_("flag"), max_length=12, choices=Flag.choices, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("written at"), auto_now_add=True)

    class Meta:
        verbose_name = _("data value")
        verbose_name_plural = _("data values")
        indexes = [
            # "The current/as-of value of this key": newest row per key.
            models.Index(fields=["indicator", "org_unit", "period", "breakdown", "id"],
                         name="value_key_idx"),
            # Outlier history: one indicator's series for one unit, in time order.
            models.Index(fields=["indicator", "org_unit", "period_start"],
                         name="value_series_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id}/{self.org_unit_id}/{self.period}/{self.breakdown}={self.value}"


class IdempotencyRecord(models.Model):
    """The stored answer to a write request with an Idempotency-Key."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_uniq")]

    def __str__(self) -> str:
        return self.key


class SignatureStatus(models.TextChoices):
    VALID = "valid", _("Valid digital signature")
    FOREIGN = "foreign", _("Valid signature by another organisation")
    INVALID = "invalid", _("Invalid digital signature")
    UNSIGNED = "unsigned", _("Not signed")
    UNVERIFIED = "unverified", _("Signature not verifiable (DOCX)")


class Document(models.Model):
    """The text part of a report (the outline report, signed PDF or DOCX).
    Documents are added, never replaced: the newest of a version counts.
    A PDF's digital signature is checked on upload and the result kept."""

    version = models.ForeignKey(SubmissionVersion, on_delete=models.PROTECT,
                                related_name="documents")
    file = models.FileField(_("file"), upload_to="submissions/%Y/%m/")
    filename = models.CharField(_("file name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=4)  # pdf | docx
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    signature = models.CharField(_("digital signature"), max_length=10, choices=SignatureStatus.choices,
                                 default=SignatureStatus.UNSIGNED)
    signer = models.CharField(_("signed by"), max_length=300, blank=True)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    signature_problem = models.CharField(_("signature problem"), max_length=300, blank=True)
    # From an e-document exchange package: number, symbol, date, type, urgency, sender, package id.
    meta = models.JSONField(_("document metadata"), default=dict, blank=True)

    class Meta:
        verbose_name = _("report document")
        verbose_name_plural = _("report documents")

    def __str__(self) -> str:
        return self.filename


class Notice(models.Model):
    """A reminder or overdue notice sent for one unit's report; never sent twice."""

    regime = models.ForeignKey("registry.Regime", on_delete=models.CASCADE, related_name="+")
    org_unit = models.ForeignKey("registry.OrgUnit", on_delete=models.CASCADE, related_name="+")
    period = models.CharField(_("period"), max_length=16)
    kind = models.CharField(_("kind"), max_length=16)  # reminder | overdue
    recipients = models.JSONField(_("recipients"), default=list)
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        constraints = [models.UniqueConstraint(fields=["regime", "org_unit", "period", "kind"],
                                               name="notice_once")]

    def __str__(self) -> str:
        return f"{self.kind} {self.regime_id}/{self.org_unit_id}/{self.period}"
