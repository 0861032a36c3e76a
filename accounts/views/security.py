"""Security settings: authenticator app, recovery codes, other sessions."""

from base64 import b32encode
from urllib.parse import quote, urlencode

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from ismartpay.core.crypto import decrypt_str, encrypt_str

from ..decorators import recent_login_required
from ..forms import TOTPConfirmForm
from ..models import TOTPDevice
from ..second_factor import (
    recovery_codes_generate,
    second_factor_remove,
    totp_device_confirm,
    totp_device_start,
)
from ..selectors import security_status_for_user
from ..sessions import sessions_end_others
from .common import next_url

FRESH_CODES_KEY = "accounts_fresh_recovery_codes"  # encrypted, until the user saved them


def stash_recovery_codes(request, codes: list[str]) -> None:
    request.session[FRESH_CODES_KEY] = encrypt_str("\n".join(codes))


def _fresh_codes(request) -> list[str]:
    token = request.session.get(FRESH_CODES_KEY)
    return decrypt_str(token).split("\n") if token else []


@never_cache
@login_required
def security(request):
    status = security_status_for_user(request.user)
    return render(request, "accounts/security.html", {"status": status})


def _grouped_key(device: TOTPDevice) -> str:
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@never_cache
@recent_login_required
def totp_setup(request):
    user = request.user
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = totp_device_start(user=user)
    form = TOTPConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        enrolment = totp_device_confirm(
            request=request, device=device, token=form.cleaned_data["code"]
        )
        if enrolment is None:
            form.add_error(
                "code",
                "That code didn't match. Check the time on your phone and type the newest code.",
            )
        else:
            stash_recovery_codes(request, enrolment.recovery_codes)
            messages.success(request, "Your authenticator app is set up.")
            url = reverse("accounts_recovery_codes")
            target = request.GET.get("next")
            return redirect(f"{url}?{urlencode({'next': target})}" if target else url)
    uri = _otpauth_uri(device)
    qr = segno.make(uri, error="m")
    context = {
        "form": form,
        "qr_data_uri": qr.svg_data_uri(scale=5, border=2, dark="#000", light="#fff"),
        "manual_key": _grouped_key(device),
        "manual_key_plain": b32encode(device.bin_key).decode(),  # for "Copy key"
        # Tap to open on the same phone (it cannot scan its own screen); issue 11, item 7.
        "otpauth_uri": uri,
        "replacing": user.has_second_factor,
        "next": request.GET.get("next", ""),
    }
    return render(request, "accounts/totp_setup.html", context, status=400 if form.errors else 200)


def _otpauth_uri(device: TOTPDevice) -> str:
    issuer = "iSmartPay"
    params = urlencode(
        {
            "secret": b32encode(device.bin_key).decode(),
            "issuer": issuer,
            "digits": device.digits,
            "period": device.step,
        }
    )
    return f"otpauth://totp/{quote(issuer)}:{quote(device.user.email)}?{params}"


@never_cache
@login_required
def recovery_codes(request):
    if request.method == "POST":  # "I have saved them"
        request.session.pop(FRESH_CODES_KEY, None)
        return redirect(next_url(request, default="accounts_security"))
    status = security_status_for_user(request.user)
    context = {
        "codes": _fresh_codes(request),
        "status": status,
        "next": request.GET.get("next", ""),
    }
    return render(request, "accounts/recovery_codes.html", context)


@never_cache
@login_required
def recovery_codes_download(request):
    codes = _fresh_codes(request)
    if not codes:
        raise Http404("Recovery codes are shown only once.")
    body = (
        "iSmartPay recovery codes for " + request.user.email + "\n"
        "Each code works once. Keep them somewhere safe.\n\n" + "\n".join(codes) + "\n"
    )
    response = HttpResponse(body, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="ismartpay-recovery-codes.txt"'
    return response


@never_cache
@recent_login_required
def passkey_add(request):
    """The "Add a passkey" page; the ceremony runs in django-otp-webauthn's script."""
    return render(request, "accounts/passkey_add.html")


@require_POST
@recent_login_required
def recovery_codes_regenerate(request):
    if not request.user.has_second_factor:
        return redirect("accounts_security")
    stash_recovery_codes(request, recovery_codes_generate(user=request.user))
    messages.success(request, "New recovery codes made. Your old codes no longer work.")
    return redirect("accounts_recovery_codes")


@never_cache
@recent_login_required
def second_factor_remove_view(request):
    if request.method == "POST":
        second_factor_remove(request=request, user=request.user)
        messages.success(request, "Your second sign-in step was removed.")
        return redirect("accounts_security")
    return render(request, "accounts/second_factor_remove.html")


@require_POST
@login_required
def sessions_end_others_view(request):
    sessions_end_others(request, request.user)
    messages.success(request, "You are signed out everywhere else.")
    return redirect(next_url(request, default="accounts_security"))
