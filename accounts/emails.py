"""Security notices to the borrower. Sent through allauth's adapter (same templates pipeline)."""

from allauth.account.adapter import get_adapter
from allauth.core.context import request_context
from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from .models import User


def security_notice_send(request: HttpRequest, user: User, template: str, **context) -> None:
    """Email `user` the notice `templates/accounts/email/<template>_{subject,message}.txt`."""
    adapter = get_adapter(request)
    ctx = {
        "user": user,
        "timestamp": timezone.now(),
        "ip": adapter.get_client_ip(request),
        "site_url": settings.SITE_URL,
        **context,
    }
    with request_context(request):  # allauth's mail needs the request (site name, links)
        adapter.send_mail(f"accounts/email/{template}", user.email, ctx)
