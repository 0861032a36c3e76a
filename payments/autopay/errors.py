"""Autopay's refusals, with a reason the borrower can read."""

from ..errors import NotAllowed, PaymentError


class AutopayError(PaymentError):
    """Refused, with a reason the borrower can read."""


class AutopayNotAllowed(AutopayError, NotAllowed):
    """The person's role on the loan does not let them do this to its autopay."""
