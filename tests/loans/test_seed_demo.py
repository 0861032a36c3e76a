import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from loans.demo import DEMO_EMAIL, DEMO_PASSWORD
from loans.models import Lender, Loan, LoanLink


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", "--force", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_prints_how_to_sign_in(client):
    first = _seed()
    snapshot = list(Loan.objects.order_by("pk").values())
    second = _seed()
    assert "3 loans created" in first and "0 loans created" in second
    assert f"Sign in as {DEMO_EMAIL} with password {DEMO_PASSWORD}" in second
    assert Lender.objects.filter(name="Demo Auto Finance").count() == 1
    assert list(Loan.objects.order_by("pk").values()) == snapshot
    assert LoanLink.objects.filter(user__email=DEMO_EMAIL).count() == 3
    assert client.login(email=DEMO_EMAIL, password=DEMO_PASSWORD)


@pytest.mark.django_db
def test_seed_demo_refuses_without_debug_because_its_password_is_public():
    with pytest.raises(CommandError, match="DEBUG only"):
        call_command("seed_demo", stdout=StringIO())
    assert not Loan.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "today", [dt.date(2026, 11, 24), dt.date(2026, 12, 1), dt.date(2027, 1, 30)]
)
def test_each_seeded_loan_has_the_status_the_delinquency_rule_gives_on_the_seed_date(today):
    """The past-due demo loan reads "Past due" in search and on its page from the start, as the
    dashboard counts it, not only after a payment posts."""
    from loans.demo import seed_demo_data
    from loans.services import loan_status_for

    seed_demo_data(today=today)

    statuses = dict(Loan.objects.values_list("loan_number", "status"))
    assert statuses == {"DA-100234": "current", "DA-100871": "past_due", "DA-099412": "current"}
    for loan in Loan.objects.all():
        assert loan.status == loan_status_for(loan, today)
