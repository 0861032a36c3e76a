"""Secure messages between a borrower (or a third party on a loan) and support."""

from django.conf import settings
from django.db import models


class SupportThread(models.Model):
    """A conversation with support, opened by one portal user, about an optional loan or
    payment. Only that user sees it in the portal; staff answer in the admin."""

    class Topic(models.TextChoices):
        PAYMENTS = "payments", "Payments"
        AUTOPAY = "autopay", "Autopay"
        FEES = "fees", "Fees"
        ACCOUNT = "account", "My account and sign-in"
        PAYOFF = "payoff", "Payoff and title"
        HARDSHIP = "hardship", "Trouble paying"
        OTHER = "other", "Something else"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="support_threads"
    )
    topic = models.CharField(max_length=20, choices=Topic.choices)
    loan = models.ForeignKey(
        "loans.Loan", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    payment = models.ForeignKey(
        "payments.Payment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_message_at = models.DateTimeField()
    # When the user last opened the thread: staff replies after it are unread.
    user_read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-last_message_at"], name="thread_user_recent")]
        ordering = ["-last_message_at", "-pk"]
        permissions = [("answer_message", "Can answer borrowers' secure messages")]

    def __str__(self) -> str:
        return f"{self.get_topic_display()} ({self.user})"


class SupportMessage(models.Model):
    thread = models.ForeignKey(SupportThread, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    from_staff = models.BooleanField(default=False)
    body = models.TextField(max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Message {self.pk} in thread {self.thread_id}"
