"""Issue 13: every admin change form, saved by a superuser past the second factor with the
form's own initial data, is either refused (read-only) or writes an audit row, and the demo
borrower's pages all still render afterwards."""

import datetime as dt
from decimal import Decimal
from html.parser import HTMLParser

import pytest
import time_machine
from django.contrib import admin
from staff_helpers import NOW, TODAY, borrower_pages, make_staff, staff_client

from accounts.models import AuditEvent, User
from loans.demo import DEMO_EMAIL, seed_demo_data
from loans.models import Loan
from loans.services import loan_post_payment
from loans.staff_requests import staff_action_submit


class _FormData(HTMLParser):
    """The values a browser would submit from the admin's change form (#<model>_form)."""

    def __init__(self):
        super().__init__()
        self.data: list[tuple[str, str]] = []
        self._in_form = False
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("id") or "").endswith("_form"):
            self._in_form = True
        if not self._in_form or "disabled" in a:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.data.append((name, a.get("value", "on")))
            elif kind not in ("submit", "button", "file", "image"):
                self.data.append((name, a.get("value") or ""))
        elif tag == "select" and name:
            self._select, self._select_first, self._select_chosen = name, None, False
        elif tag == "option" and self._select:
            if self._select_first is None:
                self._select_first = a.get("value", "")
            if "selected" in a:
                self.data.append((self._select, a.get("value", "")))
                self._select_chosen = True
        elif tag == "textarea" and name:
            self._textarea = name
            self.data.append((name, ""))

    def handle_data(self, data):
        if self._textarea:
            name, value = self.data[-1]
            self.data[-1] = (name, value + data.lstrip("\n") if not value else value + data)

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "select" and self._select:
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _rows_for_every_model(demo, loan):
    """At least one row of each registered model, made the way the product makes them (or,
    for log-like rows, as their writers leave them)."""
    from accounts.models import SignInEvent
    from loans.models import LinkAttempt, LoanInvitation
    from payments.autopay import schedule as sched
    from payments.autopay.services import autopay_enroll
    from payments.gateways.base import CardInput
    from payments.models import AutopayDebit, JobRun, SuspenseItem
    from payments.services import new_idempotency_key, payment_method_add_card, payment_submit

    card = payment_method_add_card(
        owner=demo,
        card=CardInput("4242424242424242", 12, 2030, "123", "10001"),
        idempotency_key=new_idempotency_key(),
    )
    payment_submit(
        loan_id=loan.pk, method=card, amount=Decimal("100.00"),
        idempotency_key=new_idempotency_key(), payer=demo, payer_email=demo.email,
    )  # fmt: skip
    plan = autopay_enroll(
        user=demo, loan_id=loan.pk, method=card,
        terms=sched.PlanTerms(schedule="monthly_due", amount_rule="installment", start_date=TODAY),
        ip_address="203.0.113.9", user_agent="pytest", now=NOW,
    )  # fmt: skip
    AutopayDebit.objects.create(
        plan=plan, period_key=plan.next_period_key, run_date=plan.next_run_date, status="skipped"
    )
    JobRun.objects.create(job="run_autopay", business_date=TODAY, started_at=NOW)
    SuspenseItem.objects.create(  # as remittance_import leaves an unmatched line
        idempotency_key="remit:lockbox:LB-1", amount=Decimal("40.00"), balance=Decimal("40.00"),
        reason="unidentified", channel="lockbox", reference="LB-1", received_on=TODAY,
    )  # fmt: skip
    SignInEvent.objects.create(user=demo, ip="203.0.113.9", device_label="Firefox on Linux")
    LinkAttempt.objects.create(user=demo, day=TODAY, failures=1)
    LoanInvitation.objects.create(
        loan=loan, invited_by=demo, email="kin@example.com", role="viewer"
    )
    loan_post_payment(
        loan_id=loan.pk, amount=Decimal("100.00"), effective_date=TODAY, idempotency_key="t-1"
    )
    staff_action_submit(
        kind="credit", loan_id=loan.pk, amount=Decimal("5.00"),
        reason="goodwill", actor=make_staff("Support agent"), on=TODAY,
    )  # fmt: skip
    _document_rows(demo, loan)
    _collections_rows(loan)
    from accounts.inbox import thread_start

    thread_start(user=demo, topic="payments", body="Where is my refund?", loan=loan)
    _request_and_help_rows(demo, loan)


def _request_and_help_rows(demo, loan):
    """Issue 14 requests: a pending borrower request; a help article (the seeded ones are gone
    once a browser test has flushed the database)."""
    from helpcentre.models import HelpArticle
    from loans.models_borrower_requests import BorrowerRequest

    BorrowerRequest.objects.create(
        kind="extension", loan=loan, requested_by=demo, months=1, reasons=["fewer than 6 paid"]
    )
    HelpArticle.objects.create(
        topic="payments", question="When does my payment count?", answer="By 5 PM.", published=True
    )


def _collections_rows(loan):
    """Issue 13 collections: a contact note, a promise to pay, an account flag, a snapshot."""
    from loans.collections import (
        account_flag_set,
        collections_run,
        contact_note_add,
        promise_add,
    )
    from loans.models import DelinquencySnapshot

    agent, supervisor = make_staff("Support agent"), make_staff("Supervisor")
    contact_note_add(loan_id=loan.pk, channel="call", outcome="promised", text="Will pay Friday",
                     actor=agent)  # fmt: skip
    promise_add(loan_id=loan.pk, promised_date=TODAY + dt.timedelta(days=3),
                amount=Decimal("50.00"), actor=agent, on=TODAY)  # fmt: skip
    account_flag_set(
        loan_id=loan.pk, kind="hardship", start_date=TODAY,
        end_date=TODAY + dt.timedelta(days=30), reason="lost the job in November", actor=supervisor,
    )  # fmt: skip
    collections_run(on=TODAY)
    # The queue lists past-due loans only (the demo has one): keep the rows it shows.
    DelinquencySnapshot.objects.filter(bucket=DelinquencySnapshot.Bucket.CURRENT).delete()
    assert DelinquencySnapshot.objects.exists()


def _document_rows(demo, loan):
    """Issue 14: a statement, a year-end statement, a consent, and a paid-off loan's release."""
    from factories import LoanFactory

    from documents.models import TitleRelease, YearEndStatement
    from documents.services import paperless_consent_give, statement_make

    statement_make(loan_id=loan.pk, cycle_number=1, on=TODAY)
    YearEndStatement.objects.create(
        loan=loan, year=2025, interest_paid=Decimal("1.00"), made_on=TODAY
    )
    paperless_consent_give(user=demo, version="2026-01")
    paid = LoanFactory(lender=loan.lender, status="paid_off", principal_balance=Decimal("0.00"))
    TitleRelease.objects.create(loan=paid, requested_on=TODAY)


@pytest.mark.django_db
def test_every_admin_change_form_is_read_only_or_audited_and_borrower_pages_render():
    with time_machine.travel(NOW, tick=False):
        seed_demo_data(today=TODAY)
        demo = User.objects.get(email=DEMO_EMAIL)
        loan = Loan.objects.filter(links__user=demo).order_by("pk").first()
        _rows_for_every_model(demo, loan)
        superuser = make_staff(superuser=True)
        client = staff_client(superuser)
        checked, missing = [], []
        for model in list(admin.site._registry):
            obj = model._default_manager.order_by("pk").first()
            label = model._meta.label_lower
            if obj is None:
                missing.append(label)
                continue
            url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/{obj.pk}/change/"
            page = client.get(url)
            assert page.status_code == 200, (label, page.status_code)
            parser = _FormData()
            parser.feed(page.content.decode())
            audits_before = AuditEvent.objects.filter(
                action="admin.change", target_id=str(obj.pk), target_type=label
            ).count()
            response = client.post(url, dict_from(parser.data))
            if response.status_code == 403:
                outcome = "refused"
            else:
                assert response.status_code == 302, (label, _errors(response))
                audits = AuditEvent.objects.filter(
                    action="admin.change", target_id=str(obj.pk), target_type=label
                ).count()
                assert audits == audits_before + 1, f"{label}: saved without an audit row"
                outcome = "audited"
            checked.append((label, outcome))
            assert borrower_pages(demo, loan, plan=loan.autopay_plans.get()) == dict.fromkeys(
                ["dashboard", "loan detail", "pay", "history", "autopay", "calendar feed"], 200
            ), label
        assert missing == [], f"no row to test the change form of: {missing}"
        outcomes = dict(checked)
        assert outcomes["loans.loan"] == "audited"  # links inline editable, the loan row not
        assert outcomes["loans.loanposting"] == "refused"
        assert outcomes["payments.payment"] == "refused"


def dict_from(pairs):
    from django.utils.datastructures import MultiValueDict

    data = MultiValueDict()
    for name, value in pairs:
        data.appendlist(name, value)
    return data


def _errors(response):
    context = getattr(response, "context", None)
    if context and "adminform" in context:
        return context["adminform"].form.errors, context.get("inline_admin_formsets")
    return response.status_code
