"""Account emails that leave from a Celery worker, queued after the request's commit."""

from celery import shared_task
from django.core.mail import EmailMultiAlternatives, get_connection


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_account_email(
    *, subject: str, body: str, from_email: str, to: list[str], html: str = ""
) -> None:
    """Send one already-rendered account email (JSON-safe arguments, so it can be retried)."""
    message = EmailMultiAlternatives(
        subject, body, from_email, to, connection=get_connection(fail_silently=False)
    )
    if html:
        message.attach_alternative(html, "text/html")
    message.send()
