from django.urls import include, path

from . import passkeys
from .views import confirmation, inbox, otp, profile, security

urlpatterns = [
    path("security/", security.security, name="accounts_security"),
    path("security/code/", otp.otp_verify, name="accounts_otp_verify"),
    path("security/authenticator/", security.totp_setup, name="accounts_totp_setup"),
    path(
        "security/remove/", security.second_factor_remove_view, name="accounts_second_factor_remove"
    ),
    path("security/recovery-codes/", security.recovery_codes, name="accounts_recovery_codes"),
    path(
        "security/recovery-codes/download/",
        security.recovery_codes_download,
        name="accounts_recovery_codes_download",
    ),
    path(
        "security/recovery-codes/new/",
        security.recovery_codes_regenerate,
        name="accounts_recovery_codes_regenerate",
    ),
    path(
        "security/sign-out-others/",
        security.sessions_end_others_view,
        name="accounts_sessions_end_others",
    ),
    path("security/passkey/", security.passkey_add, name="accounts_passkey_add"),
    path("passkeys/", include((passkeys.urlpatterns, "otp_webauthn"))),
    path(
        "confirm-email/resend/",
        confirmation.confirmation_resend,
        name="accounts_confirmation_resend",
    ),
    path("activity/", profile.activity, name="accounts_activity"),
    path("profile/", profile.profile, name="accounts_profile"),
    path("notices/", inbox.notices, name="accounts_notices"),
    path("notices/<id:notice_id>/", inbox.notice_detail, name="accounts_notice"),
    path("messages/", inbox.message_list, name="accounts_messages"),
    path("messages/new/", inbox.message_new, name="accounts_message_new"),
    path("messages/<id:thread_id>/", inbox.message_thread, name="accounts_message"),
    path("close/", profile.close_account, name="accounts_close"),
]
