"""Linking a loan and the guest look-up prove a loan's facts with one rule (loans.facts).

Each case goes through both real entry points (the loan_link service and the guest look-up
page) and through loan_facts_match itself; a second copy of the comparison would disagree on
ZIP+4, spaces or the VIN's case.
"""

import datetime as dt

import pytest
from factories import LoanFactory, UserFactory

from loans.facts import loan_facts_match
from loans.linking import AccessError, loan_link
from loans.models import LoanLink

GUEST = "/payments/guest/"

CASES = [
    # (ZIP on file, VIN on file, ZIP typed, VIN's last 6 typed, proven?)
    ("10001", "1HGCM82633A004352", "10001", "004352", True),
    ("10001", "1HGCM82633A00435X", "10001", "00435x", True),  # a VIN has no case
    ("10001-1234", "1HGCM82633A004352", "10001", "004352", True),  # ZIP+4 on file
    ("10001", "1HGCM82633A004352", "10001-1234", "004352", True),  # ZIP+4 typed
    ("10001", "1HGCM82633A004352", " 10001 ", " 004352 ", True),  # spaces around
    ("10001", "1HGCM82633A004352", "10002", "004352", False),
    ("10001", "1HGCM82633A004352", "10001", "004353", False),
]


@pytest.mark.parametrize(("zip_on_file", "vin", "zip_typed", "vin_typed", "proven"), CASES)
def test_linking_and_the_guest_lookup_accept_and_refuse_the_same_facts(
    client, db, zip_on_file, vin, zip_typed, vin_typed, proven
):
    loan = LoanFactory(billing_zip=zip_on_file, vin=vin)
    assert loan_facts_match(loan, billing_zip=zip_typed, vin_last6=vin_typed) is proven

    user = UserFactory()
    try:
        loan_link(
            user=user,
            lender_id=loan.lender_id,
            loan_number=loan.loan_number,
            billing_zip=zip_typed,
            vin_last6=vin_typed,
            today=dt.date(2026, 11, 24),
        )
        linked = True
    except AccessError:
        linked = False
    assert linked is proven
    assert LoanLink.objects.filter(loan=loan, user=user).count() == int(proven)

    data = {
        "lender": loan.lender.pk,
        "loan_number": loan.loan_number,
        "billing_zip": zip_typed,
        "vin_last6": vin_typed,
    }
    response = client.post(GUEST, data)
    assert (response.status_code == 302) is proven


def test_no_loan_is_never_proven():
    assert loan_facts_match(None, billing_zip="\x00" * 5, vin_last6="\x00" * 6) is False
