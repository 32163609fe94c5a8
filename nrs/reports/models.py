"""Generated briefing documents (the socio-economic situation report, the
leaders' brief). Rows change only through nrs.reports.actions; files are never
replaced once generated."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    SITUATION = "situation", _("Socio-economic situation report")
    BRIEF = "brief", _("Leaders' one-page brief")


class Status(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Generating")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class Briefing(models.Model):
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    period = models.CharField(_("period"), max_length=16)
    language = models.CharField(_("language"), max_length=2, default="vi")
    number = models.CharField(_("document number"), max_length=40)
    issued_on = models.DateField(_("issued on"))
    sign = models.BooleanField(_("sign digitally"), default=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    message = models.CharField(_("message"), max_length=500, blank=True)
    pdf = models.FileField(_("PDF"), upload_to="briefings/%Y/", blank=True)
    docx = models.FileField(_("DOCX"), upload_to="briefings/%Y/", blank=True)
    pdf_sha256 = models.CharField(_("PDF SHA-256"), max_length=64, blank=True)
    signed_by = models.CharField(_("signed by"), max_length=200, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    archived = models.BooleanField(_("archived"), default=False)

    class Meta:
        verbose_name = _("briefing document")
        verbose_name_plural = _("briefing documents")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.number} {self.get_kind_display()} {self.period}"

    @property
    def is_finished(self) -> bool:
        return self.status in (Status.DONE, Status.FAILED)
