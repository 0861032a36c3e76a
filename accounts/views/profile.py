"""Profile, preferences, recent activity and account closure."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from ..audit import audit_ip
from ..emails import security_notice_send
from ..forms import ClosureRequestForm, ProfileForm
from ..selectors import account_activity, profile_for_user
from ..services import PROFILE_FIELDS, account_closure_request, profile_update


@never_cache
@login_required
def profile(request):
    user = request.user
    current = profile_for_user(user)
    initial = {"full_name": user.full_name, "phone": user.phone}
    initial.update({field: getattr(current, field) for field in PROFILE_FIELDS})
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        profile_update(user=user, **form.cleaned_data)
        messages.success(request, "Your profile is saved.")
        return redirect("accounts_profile")
    return render(
        request,
        "accounts/profile.html",
        {"form": form, "profile": current},
        status=400 if form.errors else 200,
    )


@never_cache
@login_required
def activity(request):
    context = {
        "events": account_activity(request.user),
        "time_zone": profile_for_user(request.user).time_zone,  # shown in the borrower's zone
    }
    return render(request, "accounts/activity.html", context)


@never_cache
@login_required
def close_account(request):
    current = profile_for_user(request.user)
    form = ClosureRequestForm(request.POST or None)
    if request.method == "POST" and current.closure_requested_at is None and form.is_valid():
        account_closure_request(
            user=request.user, reason=form.cleaned_data["reason"], ip=audit_ip(request)
        )
        security_notice_send(request, request.user, "closure_requested")
        messages.success(
            request, "We received your request. Support will email you within 2 business days."
        )
        return redirect("accounts_close")
    return render(
        request,
        "accounts/close.html",
        {"form": form, "profile": current},
        status=400 if form.errors else 200,
    )
