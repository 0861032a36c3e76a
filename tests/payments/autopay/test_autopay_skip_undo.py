# ruff: noqa: F811 - pytest fixtures imported from autopay_fixtures and the pages tests
"""Skip asks first and can be undone until its cut-off; a skipped future debit is not "Recent";
the authorization reads as one sentence for the chosen rule (issue 11, item 9)."""

import datetime as dt
import re

import pytest
from autopay_fixtures import at, enroll, inline_charges  # noqa: F401
from django.core import mail
from django.urls import reverse
from test_autopay_pages import START, card, clock, form_data, plan, sign_in_recently, web  # noqa: F401

from payments.autopay import schedule as sched
from payments.autopay.services import authorization_text
from payments.models import AutopayDebit, AutopayEvent

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_skip_asks_for_confirmation_first_and_changes_nothing_until_confirmed(web, plan):
    manage = web.get(reverse("payments:autopay_manage", args=[plan.pk])).content.decode()
    skip = reverse("payments:autopay_skip", args=[plan.pk])
    assert f'<a class="btn btn--secondary btn--block" href="{skip}">Skip the next payment</a>' in (
        manage
    )
    page = _text(web.get(skip))
    assert "Skip the payment of $483.32 on Friday, Dec 4, 2026?" in page
    assert "You can undo this until 5:00 PM on Thursday, Dec 3." in page
    assert not AutopayDebit.objects.exists() and not mail.outbox


def test_a_skip_can_be_undone_before_its_cut_off(web, plan):
    web.post(reverse("payments:autopay_skip", args=[plan.pk]))
    manage = web.get(reverse("payments:autopay_manage", args=[plan.pk]))
    text = _text(manage)
    assert "The payment on Friday, Dec 4, 2026 is skipped." in text
    assert "Recent automatic payments" not in text  # a future skip is not history
    assert manage.context["next"].run_date == dt.date(2027, 1, 5)
    response = web.post(reverse("payments:autopay_unskip", args=[plan.pk]), follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "The payment on Friday, Dec 4, 2026 will be made after all."
    ]
    assert not AutopayDebit.objects.filter(plan=plan).exists()
    plan.refresh_from_db()
    assert plan.next_run_date == dt.date(2026, 12, 4)
    assert list(AutopayEvent.objects.filter(plan=plan).values_list("kind", flat=True)) == [
        "enrolled",
        "skipped",
        "unskipped",
    ]
    assert [m.subject for m in mail.outbox] == [
        "Your autopay payment on Dec 4 is skipped",
        "Your autopay payment on Dec 4 is back on",
    ]
    number = plan.loan.loan_number
    assert mail.outbox[0].body.startswith(
        "Your automatic payment of $483.32 on Friday, December 4, 2026 for loan "
        f"{number} will not be made."
    )
    assert mail.outbox[1].body.startswith(  # before: empty above the links
        "You undid the skip: your automatic payment of $483.32 on Friday, December 4, 2026 for "
        "loan "
        f"{number} will be made as scheduled."
    )


def test_undoing_a_skip_is_refused_after_its_cut_off(web, clock, plan):
    web.post(reverse("payments:autopay_skip", args=[plan.pk]))
    clock.move_to(at(dt.date(2026, 12, 3), 17, 30))  # after Thursday's 5 PM cut-off
    sign_in_recently(web, plan.owner)
    response = web.post(reverse("payments:autopay_unskip", args=[plan.pk]), follow=True)
    assert [str(m) for m in response.context["messages"]][-1:] == [
        "It's past the cut-off for the payment on Friday, Dec 4, 2026 "
        "(5:00 PM on Thursday, Dec 3): it stays skipped. Pay that installment another way."
    ]
    assert AutopayDebit.objects.get(plan=plan).status == "skipped"


@pytest.mark.parametrize(
    ("over", "sentence"),
    [
        (
            {},
            "to debit Visa •••• 4242 for my monthly payment, every month on my due date, "
            "starting November 24, 2026, until I cancel, to pay loan {n}.",
        ),
        (
            {"amount_rule": sched.FIXED, "fixed_amount": "600.00"},
            "to debit Visa •••• 4242 for $600.00, every month on my due date, "
            "starting November 24, 2026, until I cancel, to pay loan {n}.",
        ),
        (
            {"amount_rule": sched.AMOUNT_DUE, "schedule": sched.MONTHLY_DAY, "day_of_month": 1},
            "to debit Visa •••• 4242 for the amount due (including any past-due amount and fees), "
            "every month on day 1, starting November 24, 2026, until I cancel, to pay loan {n}.",
        ),
        (
            {"amount_rule": sched.EXTRA, "extra_amount": "50.00", "schedule": sched.BIWEEKLY},
            "to debit Visa •••• 4242 for half my monthly payment plus $50.00 toward principal, "
            "every two weeks, starting November 24, 2026, until I cancel, to pay loan {n}.",
        ),
    ],
)
def test_the_authorization_is_one_sentence_for_the_chosen_rule(linked_loan, card, over, sentence):
    from decimal import Decimal

    values = {
        "schedule": sched.MONTHLY_DUE,
        "amount_rule": sched.INSTALLMENT,
        "start_date": START,
        **over,
    }
    for name in ("fixed_amount", "extra_amount"):
        if name in values:
            values[name] = Decimal(values[name])
    terms = sched.PlanTerms(**values)
    text = authorization_text(loan=linked_loan, method=card, terms=terms)
    first = text.split(". ")[0] + "."
    assert first == (
        f"I authorize iSmartPay, servicer for {linked_loan.lender.name}, "
        + sentence.format(n=linked_loan.loan_number)
    )


def test_each_skip_ahead_is_listed_with_its_own_undo_and_undoes_that_payment(web, plan):
    """December and January skipped: both are listed above the next payment (February), none
    under "Recent automatic payments", and January's undo brings back January, not December.
    Before: January showed as history with no undo, and the one undo restored December."""
    skip = reverse("payments:autopay_skip", args=[plan.pk])
    web.post(skip)
    web.post(skip)
    manage = web.get(reverse("payments:autopay_manage", args=[plan.pk]))
    text = _text(manage)
    assert "The payment on Friday, Dec 4, 2026 is skipped." in text
    assert "The payment on Tuesday, Jan 5, 2027 is skipped." in text
    assert "Recent automatic payments" not in text
    assert manage.context["next"].run_date == dt.date(2027, 2, 5)
    january = AutopayDebit.objects.get(plan=plan, period_key=dt.date(2027, 1, 5))

    response = web.post(
        reverse("payments:autopay_unskip", args=[plan.pk]), {"debit": january.pk}, follow=True
    )

    assert [str(m) for m in response.context["messages"]] == [
        "The payment on Tuesday, Jan 5, 2027 will be made after all."
    ]
    assert list(AutopayDebit.objects.filter(plan=plan).values_list("period_key", flat=True)) == [
        dt.date(2026, 12, 5)
    ]
    plan.refresh_from_db()
    assert (plan.next_period_key, plan.next_run_date) == (dt.date(2027, 1, 5), dt.date(2027, 1, 5))


def test_a_double_tap_on_skip_skips_only_the_payment_the_page_showed(web, plan):
    """Both taps send Dec 5, the payment the confirm page showed: the second is refused.
    Before, the second skipped January too (the new-user review helper-68)."""
    skip = reverse("payments:autopay_skip", args=[plan.pk])
    assert 'name="period" value="2026-12-05"' in web.get(skip).content.decode()

    web.post(skip, {"period": "2026-12-05"})
    second = web.post(skip, {"period": "2026-12-05"}, follow=True)

    assert [str(m) for m in second.context["messages"]][-1] == (
        "The payment on Friday, Dec 4, 2026 is already skipped."
    )
    assert list(AutopayDebit.objects.filter(plan=plan).values_list("period_key", flat=True)) == [
        dt.date(2026, 12, 5)
    ]
    assert [m.subject for m in mail.outbox] == ["Your autopay payment on Dec 4 is skipped"]


def test_an_undo_with_a_garbled_or_stale_skip_changes_nothing(web, plan):
    skip = reverse("payments:autopay_skip", args=[plan.pk])
    web.post(skip)
    web.post(skip)
    unskip = reverse("payments:autopay_unskip", args=[plan.pk])

    garbled = web.post(unskip, {"debit": "abc"}, follow=True)
    stale = web.post(unskip, {"debit": "999999"}, follow=True)

    assert [str(m) for m in garbled.context["messages"]][-1] == (
        "That skip wasn't found. Here is your autopay as it is now."
    )
    assert [str(m) for m in stale.context["messages"]][-1] == (
        "That skip was already undone, or its payment date has passed."
    )
    assert AutopayDebit.objects.filter(plan=plan, status="skipped").count() == 2


def test_undoing_a_skip_emails_the_amount_and_no_pay_now_link(web, plan):
    web.post(reverse("payments:autopay_skip", args=[plan.pk]))
    web.post(reverse("payments:autopay_unskip", args=[plan.pk]))

    undo = mail.outbox[-1]
    assert undo.body.startswith(
        "You undid the skip: your automatic payment of $483.32 on Friday, December 4, 2026"
    )
    assert "Pay now" not in undo.body  # autopay pays it: no invitation to pay twice


def test_a_paused_plan_shows_its_skips_ahead_as_skipped_not_as_history(web, plan):
    web.post(reverse("payments:autopay_skip", args=[plan.pk]))
    web.post(reverse("payments:autopay_pause", args=[plan.pk]))

    text = _text(web.get(reverse("payments:autopay_manage", args=[plan.pk])))

    assert (
        "The payment on Friday, Dec 4, 2026 is skipped. Pay that installment another way by "
        "its due date; to undo the skip, resume autopay first." in text
    )
    assert "Recent automatic payments" not in text and "Undo the skip" not in text
