"""Payment, payment-method and autopay-plan rows are locked only through payments.lock_objects
(as loans are through loans.lock_objects): a hand-written lock elsewhere could take the rows in
another order, or forget the loan."""

import re
from pathlib import Path

import payments

HAND_WRITTEN = re.compile(r"\b(Payment|PaymentMethod|AutopayPlan|Loan)\.objects\.select_for_update")
ROOT = Path(payments.__file__).resolve().parent.parent


def test_no_service_locks_a_payment_method_plan_or_loan_row_by_hand():
    allowed = {ROOT / "payments" / "lock_objects.py", ROOT / "loans" / "lock_objects.py"}
    found = []
    for app in ("payments", "loans"):
        for path in sorted((ROOT / app).rglob("*.py")):
            if path in allowed or "migrations" in path.parts or "views" in path.parts:
                continue
            for line in path.read_text().splitlines():
                if HAND_WRITTEN.search(line):
                    found.append(f"{path.relative_to(ROOT)}: {line.strip()}")
    assert sorted(found) == sorted(KNOWN_LEFT)


# Left for their owners' branches (files under edit elsewhere, or a multi-row queryset lock):
KNOWN_LEFT = [
    "loans/linking.py: Loan.objects.select_for_update()",  # looked up by number, then proven
    "payments/autopay/due_rows.py: plans = AutopayPlan.objects.select_for_update(skip_locked=True, "
    'of=("self",)).filter(',  # the nightly run takes its due plans (due_rows.py)
    "payments/autopay/reschedule.py: AutopayPlan.objects.select_for_update()",  # every live plan
    "payments/services/payoff.py: Payment.objects.select_for_update()",  # every waiting payment
]
