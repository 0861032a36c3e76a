"""View decorators other apps use to guard money-moving and security pages.

- ``recent_login_required``: a password sign-in or re-authentication within the last
  ACCOUNT_REAUTHENTICATION_TIMEOUT seconds (5 minutes), else allauth's re-authentication page,
  which resumes the request (POSTs included). Use on bank account and autopay changes.
- ``payments_access_required``: signed in, email verified, and — when
  ACCOUNTS_REQUIRE_SECOND_FACTOR_FOR_PAYMENTS is on — a second factor enrolled. (A user who
  has one has always passed it: the middleware sees to that.)
"""

from functools import wraps

from allauth.account.decorators import verified_email_required
from allauth.core.exceptions import ReauthenticationRequired
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from .sessions import signed_in_within


def recent_login_required(view):
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not signed_in_within(request, settings.ACCOUNT_REAUTHENTICATION_TIMEOUT):
            raise ReauthenticationRequired()
        return view(request, *args, **kwargs)

    return wrapper


def payments_access_required(view):
    @wraps(view)
    @verified_email_required
    def wrapper(request, *args, **kwargs):
        user = request.user
        if settings.ACCOUNTS_REQUIRE_SECOND_FACTOR_FOR_PAYMENTS and not user.has_second_factor:
            messages.info(request, "Set up a second sign-in step before making payments.")
            query = urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})
            return redirect(f"{reverse('accounts_totp_setup')}?{query}")
        return view(request, *args, **kwargs)

    return wrapper


__all__ = ["payments_access_required", "recent_login_required", "verified_email_required"]
