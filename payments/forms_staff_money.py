"""Moved to payments/forms/staff_money.py (payments/forms/ is one package of forms). Every name
stays importable from here."""

from .forms.staff_money import (  # noqa: F401
    LoanField,
    MoneyField,
    MovePaymentForm,
    PhonePaymentForm,
    ReasonField,
    RecordReceivedForm,
    RemittanceForm,
    ReturnCheckForm,
    SuspenseApplyForm,
    SuspenseRefundForm,
    _loan_with_lender,
    field_for_error,
)
