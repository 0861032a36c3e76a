"""Linking a loan by lender + loan number + billing ZIP + last 6 of the VIN."""

import datetime as dt

import pytest
import time_machine
from factories import LoanFactory, UserFactory

from loans.linking import AccessError, LinkLocked, loan_link
from loans.models import LinkAttempt, LoanLink

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 24)


def _link(user, loan, *, zip_code="10001", vin6=None, number=None, today=TODAY):
    return loan_link(
        user=user,
        lender_id=loan.lender_id,
        loan_number=number or loan.loan_number,
        billing_zip=zip_code,
        vin_last6=vin6 or loan.vin[-6:],
        today=today,
    )


def test_borrower_links_a_loan_with_the_facts_on_file():
    user, loan = UserFactory(), LoanFactory()
    link = _link(user, loan, vin6=loan.vin[-6:].lower())
    assert (link.user, link.loan, link.role) == (user, loan, "borrower")
    assert _link(user, loan).pk == link.pk  # linking again changes nothing


def test_a_borrower_can_hold_several_loans():
    user = UserFactory()
    for loan in LoanFactory.create_batch(3):
        _link(user, loan)
    assert LoanLink.objects.filter(user=user).count() == 3


def test_second_person_becomes_co_borrower_and_nobody_else_can_link():
    loan = LoanFactory()
    _link(UserFactory(), loan)
    assert _link(UserFactory(), loan).role == "co_borrower"
    with pytest.raises(AccessError, match="already linked"):
        _link(UserFactory(), loan)
    assert loan.links.count() == 2


def test_the_borrower_is_told_when_someone_else_links_their_loan(
    django_capture_on_commit_callbacks, mailoutbox
):
    loan = LoanFactory()
    borrower, newcomer = UserFactory(full_name="Dana Demo"), UserFactory(full_name="Sam Other")
    with django_capture_on_commit_callbacks(execute=True):
        _link(borrower, loan)
    assert mailoutbox == []  # the first person to link is told nothing new
    with django_capture_on_commit_callbacks(execute=True):
        _link(newcomer, loan)
    [notice] = mailoutbox
    assert notice.to == [borrower.email]
    assert notice.subject == f"Someone linked your loan {loan.loan_number} on iSmartPay"
    assert f"Sam Other ({newcomer.email}) has linked your loan" in notice.body


@pytest.mark.parametrize(
    "wrong",
    [{"zip_code": "10002"}, {"vin6": "ZZZZZZ"}, {"number": "NO-SUCH-LOAN"}],
)
def test_any_wrong_detail_gives_the_same_generic_error(wrong):
    user, loan = UserFactory(), LoanFactory()
    with pytest.raises(AccessError) as caught:
        _link(user, loan, **wrong)
    message = str(caught.value)
    assert message.startswith("We could not find a loan matching those details.")
    for word in ("ZIP", "VIN", "number"):
        assert word not in message
    assert not LoanLink.objects.exists()
    assert LinkAttempt.objects.get(user=user).failures == 1


def test_linking_locks_after_five_failed_tries_per_day():
    user, loan = UserFactory(), LoanFactory()
    for _ in range(4):
        with pytest.raises(AccessError):
            _link(user, loan, zip_code="99999")
    with pytest.raises(LinkLocked):
        _link(user, loan, zip_code="99999")  # the 5th failure locks
    with pytest.raises(LinkLocked):
        _link(user, loan)  # even the right answer, for the rest of the day
    assert not LoanLink.objects.exists()
    assert _link(user, loan, today=TODAY + dt.timedelta(days=1)).role == "borrower"


def test_linking_needs_a_verified_email():
    user, loan = UserFactory(verified_email=False), LoanFactory()
    with pytest.raises(AccessError, match="Confirm your email"):
        _link(user, loan)
    assert not LoanLink.objects.exists()


@time_machine.travel(dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC), tick=False)
def test_link_page_links_and_redirects_to_the_loan(borrower_client, borrower):
    loan = LoanFactory()
    data = {
        "lender": loan.lender_id,
        "loan_number": loan.loan_number,
        "billing_zip": "10001",
        "vin_last6": loan.vin[-6:],
    }
    response = borrower_client.post("/loans/link/", data)
    assert response.status_code == 302
    assert response["Location"] == f"/loans/{loan.pk}/"
    assert LoanLink.objects.get(user=borrower).loan == loan


@time_machine.travel(dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC), tick=False)
def test_link_page_shows_errors_next_to_fields_and_links_nothing(borrower_client):
    loan = LoanFactory()
    response = borrower_client.post(
        "/loans/link/",
        {"lender": loan.lender_id, "loan_number": "", "billing_zip": "1", "vin_last6": "12"},
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert 'id="id_billing_zip_error"' in text
    assert "Enter a 5-digit ZIP code" in text
    assert 'id="id_vin_last6_error"' in text
    response = borrower_client.post(
        "/loans/link/",
        {
            "lender": loan.lender_id,
            "loan_number": loan.loan_number,
            "billing_zip": "10001",
            "vin_last6": "AAAAAA",
        },
    )
    assert "We could not find a loan matching those details." in response.content.decode()
    assert not LoanLink.objects.exists()


def test_link_page_asks_to_confirm_the_email_first(client):
    user = UserFactory(verified_email=False)
    client.force_login(user)
    response = client.get("/loans/link/")
    assert "Confirm your email address first" in response.content.decode()
