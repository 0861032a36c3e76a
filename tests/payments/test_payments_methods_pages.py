"""Payment-method pages: list, add a card, add a bank account, verify, default, remove."""

import datetime as dt
import re

import pytest
from card_leaks import luhn_runs
from django.urls import reverse
from django.utils import timezone
from shared_helpers import SANDBOX_ROUTING

from payments.models import PaymentMethod, SandboxToken

pytestmark = pytest.mark.django_db

ADD_CARD = "/payments/methods/add/card/"
ADD_BANK = "/payments/methods/add/bank/"


def card_data(number="4242 4242 4242 4242", expiry=None, cvc="864", postal_code="10001"):
    return {
        "number": number,
        "expiry": expiry or f"12/{(timezone.localdate().year + 3) % 100:02d}",
        "cvc": cvc,
        "postal_code": postal_code,
    }


def bank_data(account="000123456789", again=None, routing=SANDBOX_ROUTING, **extra):
    return {
        "holder_name": "Pat Doe",
        "routing_number": routing,
        "account_number": account,
        "account_number_confirm": account if again is None else again,
        "account_type": "checking",
        **extra,
    }


def input_value(page: str, name: str) -> str | None:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    assert match, f"no input {name}"
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else None


def test_urls_are_the_documented_ones():
    assert reverse("payments:methods") == "/payments/methods/"
    assert reverse("payments:add_card") == ADD_CARD
    assert reverse("payments:add_bank") == ADD_BANK
    assert reverse("payments:verify_bank", args=[7]) == "/payments/methods/7/verify/"
    assert reverse("payments:method_default", args=[7]) == "/payments/methods/7/default/"
    assert reverse("payments:method_remove", args=[7]) == "/payments/methods/7/remove/"


def test_methods_page_shows_labels_expiry_default_and_warnings(
    borrower_client, borrower, add_card, add_bank
):
    today = timezone.localdate()
    visa = add_card("4242424242424242", exp=(12, today.year + 5))
    soon = add_card("5555555555554444", exp=(today.month, today.year))
    expired = PaymentMethod.objects.create(
        owner=borrower,
        kind="card",
        processor_token="tok_old",
        last4="0005",
        brand="amex",
        exp_month=1,
        exp_year=today.year - 1,
    )
    closed = add_bank("000111111113")
    PaymentMethod.objects.filter(pk=closed.pk).update(disabled_reason="R02 account closed")
    page = borrower_client.get(reverse("payments:methods")).content.decode()
    assert "Visa •••• 4242" in page and f"Expires 12/{(today.year + 5) % 100:02d}" in page
    assert "Mastercard •••• 4444" in page and "Expires soon" in page
    assert f"This card expires at the end of {today.month:02d}/{today.year % 100:02d}" in page
    assert "American Express •••• 0005" in page and "This card has expired" in page
    assert "Checking •••• 1113" in page and "R02 account closed" in page
    assert page.count(">Default<") == 1 and visa.is_default
    # Only usable methods can become the default.
    default_forms = re.findall(r'action="/payments/methods/(\d+)/default/"', page)
    assert default_forms == [str(soon.pk)]
    assert str(expired.pk) not in default_forms


def test_methods_page_empty_state_offers_both_ways_to_add(borrower_client):
    page = borrower_client.get(reverse("payments:methods")).content.decode()
    assert "No payment methods yet" in page
    assert f'href="{ADD_BANK}"' in page and f'href="{ADD_CARD}"' in page


def test_adding_a_card_keeps_only_token_brand_last4_and_expiry(recent_client, borrower):
    response = recent_client.post(ADD_CARD, card_data())
    assert response.status_code == 302 and response["Location"] == "/payments/methods/"
    method = PaymentMethod.objects.get(owner=borrower)
    year = timezone.localdate().year + 3
    assert (method.kind, method.brand, method.last4) == ("card", "visa", "4242")
    assert (method.exp_month, method.exp_year, method.is_default) == (12, year, True)
    assert method.processor_token.startswith("tok_")
    assert method.label == "Visa •••• 4242"


def test_adding_a_bank_account_from_the_pay_page_goes_back_there(recent_client):
    response = recent_client.post(ADD_BANK, {**bank_data(), "next": "/payments/pay/3/"})
    assert response["Location"] == "/payments/pay/3/"


def test_adding_a_card_returns_to_a_safe_next_page_only(recent_client):
    response = recent_client.post(ADD_CARD, {**card_data(), "next": "/payments/pay/3/"})
    card = PaymentMethod.objects.get()
    assert response["Location"] == f"/payments/pay/3/?method={card.pk}"  # chosen there
    response = recent_client.post(ADD_CARD, {**card_data(), "next": "https://evil.example/"})
    assert response["Location"] == "/payments/methods/"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (card_data(number="4242 4242 4242 4241"), "number", "not a valid card number"),
        (card_data(number="1234 5678 9012 3452"), "number", "We accept Visa, Mastercard"),
        (card_data(expiry="01/20"), "expiry", "This card&#x27;s expiry date has passed"),
        (card_data(expiry="13/30"), "expiry", "Enter the month and year from the card"),
        (card_data(cvc="12"), "cvc", "Enter the 3-digit security code"),
        (card_data(number="3782 822463 10005", cvc="123"), "cvc", "4-digit security code"),
    ],
)
def test_bad_cards_are_refused_next_to_the_field_before_the_processor(
    recent_client, data, field, message
):
    response = recent_client.post(ADD_CARD, data)
    page = response.content.decode()
    assert response.status_code == 200
    error = re.search(rf'id="id_{field}_error">([^<]*)<', page)
    assert error and message in error.group(1)
    assert not PaymentMethod.objects.exists() and not SandboxToken.objects.exists()


def test_an_expiry_earlier_this_year_is_refused_before_any_charge(recent_client):
    today = timezone.localdate()
    if today.month == 1:
        pytest.skip("no earlier month this year")
    data = card_data(expiry=f"{today.month - 1:02d}/{today.year % 100:02d}")
    page = recent_client.post(ADD_CARD, data).content.decode()
    assert "This card&#x27;s expiry date has passed" in page
    assert not PaymentMethod.objects.exists() and not SandboxToken.objects.exists()


def test_a_refused_card_page_never_echoes_the_number_or_cvc(recent_client):
    page = recent_client.post(
        ADD_CARD, card_data(number="4242424242424242", cvc="864", postal_code="ABC")
    ).content.decode()
    assert "Enter a 5-digit ZIP code" in page
    assert "4242424242424242" not in page and "864" not in page
    assert input_value(page, "number") is None and input_value(page, "cvc") is None
    assert input_value(page, "postal_code") == "ABC"  # the rest is kept


def test_adding_a_method_needs_a_recent_sign_in(borrower_client):
    for url, data in [(ADD_CARD, card_data()), (ADD_BANK, bank_data())]:
        response = borrower_client.post(url, data)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert not PaymentMethod.objects.exists() and not SandboxToken.objects.exists()


def test_adding_a_bank_account_encrypts_it_and_asks_for_the_deposits(recent_client, borrower):
    response = recent_client.post(ADD_BANK, bank_data(account="0001-2345 6789"))
    method = PaymentMethod.objects.get(owner=borrower)
    assert response["Location"] == f"/payments/methods/{method.pk}/verify/"
    assert (method.kind, method.last4, method.routing_number) == ("bank", "6789", SANDBOX_ROUTING)
    assert (method.holder_name, method.account_type) == ("Pat Doe", "checking")
    assert method.account_number == "000123456789" and method.verified_at is None
    page = recent_client.get(response["Location"]).content.decode()
    assert "Checking •••• 6789" in page and "two small deposits" in page
    assert "You have 3 tries." in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (bank_data(routing="110000001"), "routing_number", "isn&#x27;t a valid routing number"),
        (bank_data(routing="11000000"), "routing_number", "exactly 9 digits"),
        (bank_data(again="000123456788"), "account_number_confirm", "don&#x27;t match"),
        (bank_data(account="12"), "account_number", "4 to 17 digits"),
        (bank_data(holder_name=" "), "holder_name", "This field is required"),
    ],
)
def test_bad_bank_details_get_a_clear_field_error_and_nothing_is_added(
    recent_client, data, field, message
):
    page = recent_client.post(ADD_BANK, data).content.decode()
    error = re.search(rf'id="id_{field}_error">([^<]*)<', page)
    assert error and message in error.group(1)
    assert "000123456789" not in page and "000123456788" not in page
    assert input_value(page, "account_number") is None
    assert input_value(page, "account_number_confirm") is None
    assert not PaymentMethod.objects.exists() and not SandboxToken.objects.exists()


def test_the_sandbox_deposits_verify_the_account(borrower_client, add_bank):
    method = add_bank("000123456789", verified=False)
    url = reverse("payments:verify_bank", args=[method.pk])
    response = borrower_client.post(url, {"amount_1": "0.45", "amount_2": ".32"})
    assert response["Location"] == "/payments/methods/"
    method.refresh_from_db()
    assert method.verified_at is not None and method.verification_attempts == 0


def test_wrong_deposits_are_counted_and_lock_after_three(borrower_client, add_bank):
    method = add_bank("000123456789", verified=False)
    url = reverse("payments:verify_bank", args=[method.pk])
    wrong = {"amount_1": "0.12", "amount_2": "0.34"}
    assert "You have 2 tries left" in borrower_client.post(url, wrong).content.decode()
    assert "You have 1 try left" in borrower_client.post(url, wrong).content.decode()
    page = borrower_client.post(url, wrong).content.decode()
    assert "this account is locked" in page
    right = {"amount_1": "0.32", "amount_2": "0.45"}
    assert "this account is locked" in borrower_client.post(url, right).content.decode()
    method.refresh_from_db()
    assert method.verification_attempts == 3 and method.verified_at is None


@pytest.mark.parametrize("value", ["abc", "1.5", "-0.32", "0.321", "NaN", "1e-2", ""])
def test_bad_deposit_amounts_are_field_errors_not_tries(borrower_client, add_bank, value):
    method = add_bank("000123456789", verified=False)
    url = reverse("payments:verify_bank", args=[method.pk])
    response = borrower_client.post(url, {"amount_1": value, "amount_2": "0.45"})
    assert response.status_code == 200 and 'id="id_amount_1_error"' in response.content.decode()
    method.refresh_from_db()
    assert method.verification_attempts == 0


def test_make_default_moves_the_default(borrower_client, add_card):
    first, second = add_card("4242424242424242"), add_card("5555555555554444")
    response = borrower_client.post(reverse("payments:method_default", args=[second.pk]))
    assert response["Location"] == "/payments/methods/"
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_default, second.is_default) == (False, True)


def test_a_disabled_method_cannot_become_the_default(borrower_client, add_card, add_bank):
    card = add_card("4242424242424242")
    bank = add_bank("000111111113")
    PaymentMethod.objects.filter(pk=bank.pk).update(disabled_reason="R02 account closed")
    response = borrower_client.post(reverse("payments:method_default", args=[bank.pk]), follow=True)
    assert "can&#x27;t be used, so it can&#x27;t be the default" in response.content.decode()
    card.refresh_from_db()
    assert card.is_default


def test_removing_a_method_asks_first_then_soft_removes_it(recent_client, add_card):
    card = add_card("4242424242424242")
    url = reverse("payments:method_remove", args=[card.pk])
    assert "Remove Visa •••• 4242?" in recent_client.get(url).content.decode()
    response = recent_client.post(url)
    assert response["Location"] == "/payments/methods/"
    card.refresh_from_db()
    assert card.removed_at is not None and not card.is_default
    page = recent_client.get("/payments/methods/").content.decode()
    assert "Visa •••• 4242 was removed." in page and "No payment methods yet" in page


def test_removing_is_refused_while_autopay_uses_the_method(
    recent_client, borrower, linked_loan, add_card
):
    import datetime as dt

    from payments.autopay.schedule import PlanTerms
    from payments.autopay.services import autopay_enroll

    card = add_card("4242424242424242")
    now = dt.datetime(2026, 11, 24, 15, tzinfo=dt.UTC)
    autopay_enroll(
        user=borrower,
        loan_id=linked_loan.pk,
        method=card,
        ip_address="203.0.113.9",
        user_agent="pytest",
        now=now,
        terms=PlanTerms(
            schedule="monthly_due", amount_rule="installment", start_date=dt.date(2026, 11, 24)
        ),
    )
    page = recent_client.post(reverse("payments:method_remove", args=[card.pk])).content.decode()
    assert "Autopay uses this method. Switch autopay to another method first" in page
    card.refresh_from_db()
    assert card.removed_at is None and card.is_default


def test_removing_needs_a_recent_sign_in(borrower_client, add_card):
    card = add_card("4242424242424242")
    response = borrower_client.post(reverse("payments:method_remove", args=[card.pk]))
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    card.refresh_from_db()
    assert card.removed_at is None


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("payments:methods"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("name", ["verify_bank", "method_default", "method_remove"])
@pytest.mark.parametrize("http_method", ["get", "post"])
def test_another_borrowers_method_is_404_and_nothing_changes(
    other_client, add_bank, name, http_method
):
    method = add_bank("000123456789", verified=False)
    before = PaymentMethod.objects.values().get(pk=method.pk)
    data = {"amount_1": "0.32", "amount_2": "0.45"}
    response = getattr(other_client, http_method)(
        reverse(f"payments:{name}", args=[method.pk]), data
    )
    assert response.status_code == 404
    assert PaymentMethod.objects.values().get(pk=method.pk) == before


def test_an_expiring_card_is_flagged_within_two_months_only():
    from payments.views.methods import method_rows

    today = dt.date(2026, 11, 24)
    cards = [
        PaymentMethod(pk=n, kind="card", brand="visa", last4="4242", exp_month=m, exp_year=y)
        for n, (m, y) in enumerate([(10, 2026), (11, 2026), (12, 2026), (1, 2027)], start=1)
    ]
    rows = method_rows(cards, today=today)
    assert [(r.expired, r.expires_soon, r.can_be_default) for r in rows] == [
        (True, False, False),
        (False, True, True),
        (False, True, True),
        (False, False, True),
    ]


# --- Target 24: no card number, CVC or account number anywhere ----------------------------------
SANDBOX_CARDS = [
    "4242424242424242",
    "5555555555554444",
    "4000056655665556",
    "378282246310005",
    "4000000000000002",
    "4000000000009995",
    "4000000000000069",
    "4000000000000127",
    "4000000000000119",
]
SANDBOX_ACCOUNTS = ["000123456789", "000111111113", "000111111116", "000222222227", "000333333335"]
CVCS = ["864", "8642"]


def _leaks(text: str) -> list[str]:
    found = luhn_runs(text)
    found += [number for number in SANDBOX_CARDS + SANDBOX_ACCOUNTS if number in text]
    for cvc in CVCS:
        found += re.findall(rf"(?<![0-9A-Za-z.]){cvc}(?![0-9A-Za-z.])", text)
    return found


# Where a card number, CVC or account number could be written: every column of these types.
# Not the numbers and dates: an id or an amount of 864 (the suite's sequences get there) is
# not a CVC, and the check read it as one.
TEXT_TYPES = ("character varying", "text", "character", "json", "jsonb", "bytea", "inet")


def _database_text() -> str:
    """Every text-like value of every row of every table (what pg_dump --data-only would
    print of them), plus the decoded session data (stored signed and base64-encoded)."""
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.db import connection

    chunks = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND data_type = ANY(%s)",
            [list(TEXT_TYPES)],
        )
        columns: dict[str, list[str]] = {}
        for table, column in cursor.fetchall():
            columns.setdefault(table, []).append(column)
        for table, names in columns.items():
            values = ", ".join(f'"{name}"::text' for name in names)
            cursor.execute(f"SELECT concat_ws(' | ', {values}) FROM \"{table}\"")  # noqa: S608
            chunks += [row[0] for row in cursor.fetchall()]
    chunks += [str(SessionStore().decode(s.session_data)) for s in Session.objects.all()]
    return "\n".join(chunks)


def _guest_pays(client, loan, method_data, amount):
    client.post(
        "/payments/guest/",
        {
            "lender": loan.lender.pk,
            "loan_number": loan.loan_number,
            "billing_zip": "10001",
            "vin_last6": loan.vin[-6:],
        },
    )
    review = client.post(
        "/payments/guest/", {"email": "guest@example.com", "amount": amount, **method_data}
    )
    assert review.status_code == 302, review.content.decode()[-2000:]
    # The sixth try in an hour is held for a quick check, and a held payment is on the way
    # (payments/upcoming.py): the guest answers "Is this a second payment?" with yes.
    done = client.post(review["Location"], {"confirm_duplicate": "on"})
    assert done.status_code == 302
    client.get(done["Location"])


def test_no_card_number_cvc_or_account_number_is_kept_in_db_logs_or_mail(
    recent_client, borrower, make_loan, caplog, mailoutbox, django_capture_on_commit_callbacks
):
    import logging

    from django.test import Client

    caplog.set_level(logging.DEBUG)
    year = (timezone.localdate().year + 3) % 100
    with django_capture_on_commit_callbacks(execute=True):
        # A borrower adds every sandbox card and account through the pages, with mistakes.
        for number in SANDBOX_CARDS:
            cvc = "8642" if number.startswith("37") else "864"
            recent_client.post(ADD_CARD, card_data(number=number, expiry="01/20", cvc=cvc))
            recent_client.post(ADD_CARD, card_data(number=number, cvc=cvc, postal_code="X"))
            recent_client.post(ADD_CARD, card_data(number=number, cvc=cvc))
        for account in SANDBOX_ACCOUNTS:
            recent_client.post(ADD_BANK, bank_data(account=account, again=account[:-1] + "0"))
            recent_client.post(ADD_BANK, bank_data(account=account))
        assert PaymentMethod.objects.filter(owner=borrower).count() == 14
        bank = PaymentMethod.objects.filter(owner=borrower, kind="bank").first()
        verify = reverse("payments:verify_bank", args=[bank.pk])
        recent_client.post(verify, {"amount_1": "0.11", "amount_2": "0.45"})
        recent_client.post(verify, {"amount_1": "0.32", "amount_2": "0.45"})
        # A guest pays with every card and account.
        loan = make_loan(None, billing_zip="10001")
        guest = Client()
        for n, number in enumerate(SANDBOX_CARDS):
            cvc = "8642" if number.startswith("37") else "864"
            fields = {
                "method_kind": "card",
                "card-number": number,
                "card-expiry": f"12/{year}",
                "card-cvc": cvc,
                "card-postal_code": "10001",
            }
            _guest_pays(guest, loan, fields, f"{n + 1}.11")
        for n, account in enumerate(SANDBOX_ACCOUNTS):
            fields = {
                "method_kind": "bank",
                "bank-holder_name": "Sam Guest",
                "bank-routing_number": SANDBOX_ROUTING,
                "bank-account_number": account,
                "bank-account_number_confirm": account,
                "bank-account_type": "checking",
                "ach_authorized": "on",
            }
            _guest_pays(guest, loan, fields, f"{n + 20}.22")
    from payments.models import Payment

    assert Payment.objects.filter(source="guest").count() == 14
    assert PaymentMethod.objects.filter(owner=None).count() == 14
    assert len(mailoutbox) == 14  # a receipt or a decline notice for each guest payment
    # The history pages and exports read all of it.
    recent_client.get("/payments/history/")

    assert _leaks(_database_text()) == []
    log_text = caplog.text + "\n".join(
        f"{r.getMessage()} {r.args} {getattr(r, 'params', '')}" for r in caplog.records
    )
    assert _leaks(log_text) == []
    mail_text = "\n".join(f"{m.subject}\n{m.body}\n{m.alternatives}" for m in mailoutbox)
    assert _leaks(mail_text) == []
    # The scan would have caught them: the card numbers did pass through the pages.
    assert _leaks("card 4242424242424242, cvc 864, account 000123456789") != []
