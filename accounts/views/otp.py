"""The "Security code" step after a password sign-in."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from ..forms import SecurityCodeForm
from ..second_factor import (
    SecondFactorLocked,
    second_factor_session_complete,
    second_factor_verify,
)
from ..selectors import second_factor_methods
from ..sessions import remember_cookie_set
from .common import next_url


@never_cache
@sensitive_post_parameters("code")
@login_required
def otp_verify(request):
    user = request.user
    if user.is_verified() or not user.has_second_factor:
        return redirect(next_url(request))
    recovery = request.GET.get("method") == "recovery"
    form = SecurityCodeForm(request.POST or None, recovery=recovery)
    if request.method == "POST" and form.is_valid():
        try:
            device = second_factor_verify(
                request=request, user=user, code=form.cleaned_data["code"]
            )
        except SecondFactorLocked as locked:
            wait = (
                f"wait {locked.seconds_left} seconds"
                if locked.seconds_left is not None
                else "wait a few minutes"
            )
            form.add_error(
                "code",
                f"Too many tries. For your security, {wait}, then try again — or use one of "
                "your recovery codes.",
            )
        else:
            if device is None:
                form.add_error("code", "That code didn't work. Check the code and try again.")
            else:
                second_factor_session_complete(request=request, device=device)
                response = redirect(next_url(request))
                if form.cleaned_data["remember"]:
                    remember_cookie_set(response, user, device.persistent_id)
                return response
    status = 400 if form.errors else 200
    methods = second_factor_methods(user)
    context = {
        "form": form,
        "recovery": recovery,
        "next": request.GET.get("next", ""),
        "has_totp": methods.totp,
        "has_passkey": methods.passkey,
        "second_step": True,  # base.html: no account menu until the code is in, only sign-out
    }
    return render(request, "accounts/otp_verify.html", context, status=status)
