"""Domain errors of the payments app: views turn them into messages next to the right field."""


class PaymentError(Exception):
    """Base class: the message is safe to show to the borrower."""


class InvalidTransition(PaymentError):
    pass


class DuplicateSuspected(PaymentError):
    """Same amount on the same loan within the window: the borrower must confirm."""


class AmountNotAllowed(PaymentError):
    pass


class MethodNotUsable(PaymentError):
    pass


class TooLateToCancel(PaymentError):
    pass


class NotAllowed(PaymentError):
    """The person's role on the loan does not allow this (loans/permissions.py). The view
    decides whether that is a 404, a 403 or a message."""


class BankAccountLocked(PaymentError):
    """Too many wrong micro-deposit amounts: this account is locked for this borrower."""


class OtherLender(PaymentError):
    """Money received for one lender aimed at another lender's loan (services/ownership.py)."""


class DateNotAllowed(PaymentError):
    """An effective date outside the bounds recorded money may carry (services/received.py)."""


class AlreadyRecorded(PaymentError):
    """This receipt (loan, amount, reference, channel family, date within a few days) is already
    on the books, recorded by another path (services/receipts.py receipt_on_books). `record` is
    the earlier Payment or SuspenseItem."""

    def __init__(self, message: str, *, record):
        super().__init__(message)
        self.record = record
