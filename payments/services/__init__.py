"""Every state change of the payments app goes through one of these services."""

from .charging import payment_charge, payment_record_result, payment_recover
from .lifecycle import (
    payment_cancel_scheduled,
    payment_return,
    payment_reverse,
    payment_review_approve,
    payment_review_reject,
    payment_settle_or_return,
    settle_payments,
    submit_scheduled_payments,
)
from .methods import (
    payment_method_add_bank,
    payment_method_add_card,
    payment_method_remove,
    payment_method_set_default,
    payment_method_verify_bank,
)
from .refunds import payment_refund, payment_refund_finish, payment_refund_unapplied, refunds_resume
from .submission import new_idempotency_key, payment_submit

__all__ = [
    "new_idempotency_key",
    "payment_cancel_scheduled",
    "payment_charge",
    "payment_method_add_bank",
    "payment_method_add_card",
    "payment_method_remove",
    "payment_method_set_default",
    "payment_method_verify_bank",
    "payment_record_result",
    "payment_recover",
    "payment_refund",
    "payment_refund_finish",
    "payment_refund_unapplied",
    "payment_return",
    "payment_reverse",
    "payment_review_approve",
    "payment_review_reject",
    "payment_settle_or_return",
    "payment_submit",
    "refunds_resume",
    "settle_payments",
    "submit_scheduled_payments",
]
