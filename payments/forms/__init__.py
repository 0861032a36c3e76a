"""The payments app's forms, one module per page group: pay.py (the one-time payment),
guest.py, methods.py, history.py, activity.py, staff_money.py; the autopay form is in its
slice (payments/autopay/forms.py). `payments.forms` keeps exporting the pay forms."""

from .pay import (  # noqa: F401
    ConfirmForm,
    PayForm,
)
