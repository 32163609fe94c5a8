"""Federation state. On the national node: the registered nodes, every batch received
(provenance) and every source version imported. On a sending node: where to push, and
the cursor of what the upstream has acknowledged."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Node(models.Model):
    """A provincial or ministry NRS node allowed to push approved submissions here."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    public_key = models.CharField(_("Ed25519 public key"), max_length=200,
                                  help_text=_("Base64 of the 32 raw bytes, as printed by "
                                              "`nrs federation keygen`."))
    units = models.ManyToManyField("registry.OrgUnit", verbose_name=_("org units owned"),
                                   related_name="+",
                                   help_text=_("The roots of the subtrees this node reports for."))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("node account"),
                             on_delete=models.PROTECT, related_name="+",
                             help_text=_("The account whose API token the node pushes with."))
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("federated node")
        verbose_name_plural = _("federated nodes")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class ReceivedBatch(models.Model):
    """Provenance: one verified batch, exactly as signed (its SHA-256 and signature)."""

    node = models.ForeignKey(Node, verbose_name=_("node"), on_delete=models.PROTECT,
                             related_name="batches")
    batch_id = models.CharField(_("batch id"), max_length=64)
    sequence = models.PositiveIntegerField(_("sequence"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    signature = models.CharField(_("signature"), max_length=200)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    submissions = models.PositiveIntegerField(_("submissions"), default=0)
    imported = models.PositiveIntegerField(_("imported"), default=0)
    skipped = models.PositiveIntegerField(_("already received"), default=0)
    values = models.PositiveIntegerField(_("values written"), default=0)

    class Meta:
        verbose_name = _("received batch")
        verbose_name_plural = _("received batches")
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["node", "batch_id"], name="fed_batch_uniq")]

    def __str__(self) -> str:
        return f"{self.node.code} #{self.sequence} {self.batch_id}"


class FederatedVersion(models.Model):
    """One source submission version imported here: the idempotency key (node, source
    submission, source version) and the national version its values were written to."""

    node = models.ForeignKey(Node, on_delete=models.PROTECT, related_name="+")
    batch = models.ForeignKey(ReceivedBatch, verbose_name=_("batch"), on_delete=models.PROTECT,
                              related_name="versions")
    source_submission = models.PositiveBigIntegerField(_("source submission"))
    source_version = models.PositiveIntegerField(_("source version"))
    source_approved_at = models.DateTimeField(_("approved at the source"))
    submission = models.ForeignKey("collection.Submission", verbose_name=_("submission"),
                                   on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(_("version here"))

    class Meta:
        verbose_name = _("federated version")
        verbose_name_plural = _("federated versions")
        constraints = [models.UniqueConstraint(
            fields=["node", "source_submission", "source_version"], name="fed_version_uniq")]

    def __str__(self) -> str:
        return f"{self.node_id}:{self.source_submission}v{self.source_version}"


class Upstream(models.Model):
    """On a sending node (one row): where it pushes, as which node, for which units,
    and how far the upstream has acknowledged (the id of the last approval sent)."""

    url = models.URLField(_("upstream URL"))
    node_code = models.CharField(_("node code"), max_length=40)
    token = models.CharField(_("API token"), max_length=200)
    units = models.JSONField(_("org units owned"), default=list)
    cursor = models.PositiveBigIntegerField(_("acknowledged up to"), default=0)
    sequence = models.PositiveIntegerField(_("batches acknowledged"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("upstream")
        verbose_name_plural = _("upstream")

    def __str__(self) -> str:
        return f"{self.node_code} → {self.url}"
