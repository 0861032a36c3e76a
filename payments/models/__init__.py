from .autopay import (
    AutopayAmountNotice,
    AutopayAuthorization,
    AutopayDebit,
    AutopayEvent,
    AutopayPlan,
    JobRun,
)
from .methods import PaymentMethod
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
