"""'Check your email': send the confirmation link again (issue 11, item 7).

The answer is the same whether or not the address has an account waiting to be confirmed, and
the mail leaves from a task after commit either way (accounts/adapters.py), so neither the
words nor the time tell an address's owner apart from anyone else."""

from allauth.account.internal.flows.email_verification import (
    handle_verification_email_rate_limit,
)
from allauth.account.models import EmailAddress
from django.contrib import messages
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from ..signup import PENDING_EMAIL_KEY

RESENT = (
    "If that address still needs confirming, we've sent a new link. "
    "It can take a few minutes to arrive."
)


@require_POST
def confirmation_resend(request):
    email = (request.POST.get("email") or request.session.get(PENDING_EMAIL_KEY) or "").strip()
    address = (
        EmailAddress.objects.filter(email__iexact=email, verified=False)
        .select_related("user")
        .first()
        if email
        else None
    )
    # allauth's per-address limit (one mail per ACCOUNT_EMAIL_CONFIRMATION_COOLDOWN) applies.
    if address is not None and handle_verification_email_rate_limit(request, address.email):
        address.send_confirmation(request, signup=True)
    messages.info(request, RESENT)
    return redirect("account_email_verification_sent")
