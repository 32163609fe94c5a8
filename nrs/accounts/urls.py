from django.urls import path

from nrs.accounts import views

app_name = "accounts"

urlpatterns = [
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", views.PasswordChangeDoneView.as_view(), name="password_done"),
    path("2fa/", views.two_factor, name="two_factor"),
    path("2fa/qr.svg", views.qr_code, name="qr_code"),
    path("2fa/backup-codes/", views.backup_codes, name="backup_codes"),
]
