"""New-user review: the agent's loan page in the admin showed the stored "interest accrued
through" and "accrued interest $0.00" but not what the borrower owes today. It shows a
"Position today" block computed by the borrower dashboard's selector (loans.selectors
.loan_summary) on the lender's business date."""

import datetime as dt
import re

import pytest
import time_machine
from staff_helpers import NOW, make_staff, staff_client

from accounts.roles import SUPPORT_AGENT

pytestmark = pytest.mark.django_db


def position(loan) -> dict[str, str]:
    page = staff_client(make_staff(SUPPORT_AGENT)).get(f"/admin/loans/loan/{loan.pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    block = text[
        text.index("<h2>Position today") : text.index("</table>", text.index("<h2>Position today"))
    ]
    return dict(re.findall(r"<th[^>]*>([^<]+)</th>\s*<td[^>]*>([^<]+)</td>", block))


def test_the_demo_loan_on_nov_24_is_current_with_19_days_of_interest(linked_loan):
    with time_machine.travel(NOW, tick=False):
        shown = position(linked_loan)
    # Amount due now: the current installment (Dec 5), as the borrower's dashboard says.
    assert shown == {
        "Amount due now": "$483.32",
        "Past due": "$0.00",
        "Days past due": "0",
        "Next due": "Dec. 5, 2026: $483.32",
        "Payoff today": "$21401.74",
        "Interest accrued to today": "$66.64 (posted through Nov. 5, 2026: $0.00)",
    }


def test_the_demo_loan_sixteen_days_after_a_missed_installment(linked_loan):
    with time_machine.travel(dt.datetime(2026, 12, 21, 15, 0, tzinfo=dt.UTC), tick=False):
        shown = position(linked_loan)
    # 46 days' interest on $21,335.10 at 6 % (Nov 5 to Dec 21) = $161.33. Due now: the
    # missed Dec 5 installment plus the current one (Jan 5).
    assert shown == {
        "Amount due now": "$966.64",
        "Past due": "$483.32",
        "Days past due": "16",
        "Next due": "Dec. 5, 2026: $483.32",
        "Payoff today": "$21496.43",
        "Interest accrued to today": "$161.33 (posted through Nov. 5, 2026: $0.00)",
    }
