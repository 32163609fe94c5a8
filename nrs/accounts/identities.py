"""Links between a user and a person at an external identity provider (OpenID Connect).

A person at a provider is who the provider says by its issuer and ``sub`` claim: an e-mail
address or a username can change hands, (issuer, sub) does not. The first sign-in of an
existing user links them (oidc.py); every later sign-in follows the link only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ExternalIdentity(models.Model):
    """``user`` is the person ``subject`` at the provider ``issuer``."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"),
                             on_delete=models.CASCADE, related_name="external_identities")
    issuer = models.CharField(_("issuer"), max_length=255)
    subject = models.CharField(_("subject"), max_length=255)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        app_label = "accounts"
        verbose_name = _("external identity")
        verbose_name_plural = _("external identities")
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="external_identity_uniq"),
            # One identity per user and provider: a second person cannot be linked to an account.
            models.UniqueConstraint(fields=["user", "issuer"], name="external_identity_user_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.issuer} · {self.subject}"
