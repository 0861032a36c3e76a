from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from .selectors import dashboard_for_user


@login_required
def dashboard(request):
    summaries = dashboard_for_user(request.user, today=timezone.localdate())
    return render(request, "loans/dashboard.html", {"summaries": summaries})
