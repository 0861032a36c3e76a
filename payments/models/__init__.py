from .autopay import (
    AutopayAmountNotice,
    AutopayAuthorization,
    AutopayDebit,
    AutopayEvent,
    AutopayPlan,
    JobRun,
)
from .methods import BankVerificationAttempts, PaymentMethod
from .notice import Notice
from .payment import Payment, PaymentEvent
from .sandbox import SandboxCharge, SandboxRefund, SandboxToken
from .suspense import SuspenseAction, SuspenseItem

__all__ = [
    "AutopayAmountNotice",
    "AutopayAuthorization",
    "AutopayDebit",
    "AutopayEvent",
    "AutopayPlan",
    "BankVerificationAttempts",
    "JobRun",
    "Notice",
    "Payment",
    "PaymentEvent",
    "PaymentMethod",
    "SandboxCharge",
    "SandboxRefund",
    "SandboxToken",
    "SuspenseAction",
    "SuspenseItem",
]
