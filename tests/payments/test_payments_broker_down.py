"""Broker down (issue 9, finding 9; reliability target 10): a payment's notice is an outbox row
written in the payment's own transaction, handed to the broker after commit without ever
failing the request, and delivered exactly once by the task or the sweep, whichever comes."""

import base64
import datetime as dt
import logging
import threading
import time
from smtplib import SMTPServerDisconnected

import pytest
import time_machine
from django.core import mail
from django.db import connection, transaction
from django.urls import reverse
from redis_down import broker_down, redis_down, restartable_redis, silent_port

from payments.models import Notice, Payment, SandboxCharge
from payments.notifications import (
    notices_retry_unsent,
    payment_notice,
    payment_notice_queue,
)

# Tuesday 2026-11-24, 10:00 in New York: a business day, before the 17:00 cut-off.
BEFORE_CUTOFF = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _tuesday_morning():
    with time_machine.travel(BEFORE_CUTOFF, tick=True):
        yield


@pytest.fixture
def pay(pay, borrower):
    """The borrower pays with their own card (the charge gate refuses anyone else's)."""

    def _pay(loan, method, amount="100.00", **extra):
        extra.setdefault("payer", borrower)
        return pay(loan, method, amount, **extra)

    return _pay


def pay_by_card(client, loan, card):
    data = {"amount_choice": "due", "method": str(card.pk), "pay_on": "2026-11-24"}
    review = client.post(reverse("payments:pay", args=[loan.pk]), data)
    assert review.status_code == 302, review.content.decode()[:2000]
    return client.post(review["Location"])


def within(seconds: float, call):
    """call() in a thread; fail (instead of hanging the suite) if it is not done in time."""
    outcome = {}

    def run():
        try:
            outcome["value"] = call()
        except BaseException as exc:  # re-raised in the test's thread
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still waiting after {seconds} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def key(payment, kind="received") -> str:
    return f"payment:{payment.pk}:{kind}"


@pytest.mark.django_db(transaction=True)
def test_with_redis_down_a_card_payment_lands_on_its_receipt_and_the_sweep_sends_it_once(
    borrower_client, linked_loan, add_card, caplog
):
    card = add_card("4242424242424242")
    with redis_down(), caplog.at_level(logging.WARNING, logger="ismartpay.notices"):
        response = pay_by_card(borrower_client, linked_loan, card)
        payment = Payment.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("payments:detail", args=[payment.reference])
        receipt = borrower_client.get(response["Location"])
        assert receipt.status_code == 200
        assert payment.reference in receipt.content.decode()
    assert payment.status == Payment.Status.POSTED
    assert SandboxCharge.objects.count() == 1
    assert linked_loan.postings.filter(kind="payment").count() == 1
    [notice] = Notice.objects.all()
    assert (notice.dedupe_key, notice.recipient, notice.sent_at) == (
        key(payment),
        payment.payer_email,
        None,
    )
    assert mail.outbox == []
    assert [r.getMessage() for r in caplog.records if r.name == "ismartpay.notices"] == [
        f"broker unreachable: notice {key(payment)} waits for the sweep (OperationalError)"
    ]

    # The broker is back: the one-minute sweep delivers what the broker never got.
    assert notices_retry_unsent() == 1
    assert [m.subject for m in mail.outbox] == ["We received your payment of $483.32"]
    assert payment.reference in mail.outbox[0].body
    assert notices_retry_unsent() == 0
    assert len(mail.outbox) == 1
    notice.refresh_from_db()
    assert notice.sent_at is not None and notice.attempts == 1


@pytest.mark.django_db(transaction=True)
def test_a_broker_that_never_answers_holds_the_payment_page_at_most_two_seconds(
    borrower_client, linked_loan, add_card
):
    card = add_card("4242424242424242")
    with silent_port() as url, broker_down(url):
        started = time.monotonic()
        response = within(10, lambda: pay_by_card(borrower_client, linked_loan, card))
        elapsed = time.monotonic() - started
    assert response.status_code == 302
    assert elapsed < 2.0, elapsed
    assert Notice.objects.filter(sent_at__isnull=True).count() == 1


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_up_the_commit_publishes_one_delivery_task_that_sends_once(
    borrower_client, linked_loan, add_card, settings
):
    import json

    import redis

    queue = redis.Redis.from_url(settings.REDIS_URL)  # this test run's own Redis database
    queue.delete("celery")
    card = add_card("4242424242424242")
    with broker_down(settings.REDIS_URL):  # the real broker, tasks published, not run here
        response = pay_by_card(borrower_client, linked_loan, card)
    assert response.status_code == 302
    assert mail.outbox == []
    [message] = [json.loads(raw) for raw in queue.lrange("celery", 0, -1)]
    queue.delete("celery")
    payment = Payment.objects.get()
    args, kwargs, _ = json.loads(base64.b64decode(message["body"]))
    assert (message["headers"]["task"], args, kwargs) == (
        "payments.tasks.send_payment_notice",
        [payment.pk, "received"],
        {},
    )
    from payments.tasks import send_payment_notice

    assert send_payment_notice(*args) is True  # what the worker runs
    assert send_payment_notice(*args) is False  # redelivered (acks_late): nothing more
    assert notices_retry_unsent() == 0
    assert [m.subject for m in mail.outbox] == ["We received your payment of $483.32"]


@pytest.mark.django_db(transaction=True)
def test_redis_stopped_then_restarted_every_payment_gets_one_email(
    linked_loan, add_card, pay, settings
):
    import json

    import redis

    queue = redis.Redis.from_url(settings.REDIS_URL)
    queue.delete("celery")
    card = add_card("4242424242424242")
    with restartable_redis(settings.REDIS_URL) as redis_server, broker_down(redis_server.url):
        before = pay(linked_loan, card, "100.00")  # handed to the broker
        redis_server.stop()
        during = pay(linked_loan, card, "101.00")  # committed; the hand-off fails
        redis_server.start()
        after = pay(linked_loan, card, "102.00")  # the pooled connection recovers at once
    published = [json.loads(raw) for raw in reversed(queue.lrange("celery", 0, -1))]
    queue.delete("celery")
    tasks = [json.loads(base64.b64decode(message["body"]))[0] for message in published]
    assert tasks == [[before.pk, "received"], [after.pk, "received"]]
    assert Notice.objects.get(dedupe_key=key(during)).sent_at is None
    assert mail.outbox == []  # no worker in this test: the sweep gets there first
    assert notices_retry_unsent() == 3
    from payments.tasks import send_payment_notice

    assert [send_payment_notice(*args) for args in tasks] == [False, False]  # worker, late
    assert sorted(m.subject for m in mail.outbox) == [
        "We received your payment of $100.00",
        "We received your payment of $101.00",
        "We received your payment of $102.00",
    ]
    assert Notice.objects.filter(sent_at__isnull=False, attempts=1).count() == 3


@pytest.mark.django_db
def test_the_notice_row_is_written_in_the_callers_transaction(linked_loan, add_card, pay):
    payment = pay(linked_loan, add_card("4242424242424242"), "100.00")
    with transaction.atomic():
        payment_notice_queue(payment, "returned")
        # Visible inside the transaction that changed the payment, before any commit.
        assert Notice.objects.filter(dedupe_key=key(payment, "returned")).count() == 1


@pytest.mark.django_db
def test_a_rolled_back_change_leaves_no_notice_row_and_hands_nothing_over(
    linked_loan, add_card, pay, django_capture_on_commit_callbacks
):
    payment = pay(linked_loan, add_card("4242424242424242"), "100.00")
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        payment_notice_queue(payment, "returned")
        raise RuntimeError("the payment's transaction failed")
    assert callbacks == []
    assert not Notice.objects.filter(dedupe_key=key(payment, "returned")).exists()


@pytest.mark.django_db
def test_queueing_the_same_notice_twice_keeps_one_row_and_sends_one_email(
    linked_loan, add_card, pay, django_capture_on_commit_callbacks
):
    payment = pay(linked_loan, add_card("4242424242424242"), "100.00")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        payment_notice_queue(payment, "returned")
        payment_notice_queue(payment, "returned")
    assert Notice.objects.filter(dedupe_key=key(payment, "returned")).count() == 1
    assert [m.subject for m in mail.outbox] == ["Your bank returned your payment of $100.00"]


@pytest.mark.django_db
def test_the_task_and_the_sweep_one_after_the_other_send_once(linked_loan, add_card, pay):
    # This test's transaction never commits, so nothing is handed over: the row waits, as
    # when the broker is down.
    payment = pay(linked_loan, add_card("4242424242424242"), "100.00")
    assert mail.outbox == []
    assert payment_notice(payment.pk, "received") is True  # the task, once the broker is back
    assert notices_retry_unsent() == 0  # the sweep finds nothing left
    assert payment_notice(payment.pk, "received") is False  # a redelivered task
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_a_task_and_the_sweep_racing_on_one_notice_send_it_once(
    linked_loan, add_card, pay, monkeypatch
):
    with broker_down():
        payment = pay(linked_loan, add_card("4242424242424242"), "100.00")
    assert mail.outbox == []
    real_send = mail.send_mail

    def slow_send(*args, **kwargs):
        time.sleep(0.3)  # both contenders are in flight at once
        return real_send(*args, **kwargs)

    monkeypatch.setattr("payments.notifications.send_mail", slow_send)
    start = threading.Barrier(2)
    results = {}

    def contender(name, deliver):
        start.wait()
        try:
            results[name] = deliver()
        finally:
            connection.close()

    threads = [
        threading.Thread(
            target=contender, args=("task", lambda: payment_notice(payment.pk, "received"))
        ),
        threading.Thread(target=contender, args=("sweep", notices_retry_unsent)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted([int(results["task"]), results["sweep"]]) == [0, 1]
    assert len(mail.outbox) == 1
    assert Notice.objects.get(dedupe_key=key(payment)).attempts == 1


@pytest.mark.django_db
def test_a_failed_send_is_retried_by_the_sweep_after_the_lease_and_sent_once(
    linked_loan, add_card, pay, monkeypatch
):
    payment = pay(linked_loan, add_card("4242424242424242"), "100.00")  # not handed over
    real_send = mail.send_mail
    failures = [SMTPServerDisconnected("mail server went away")] * 2

    def flaky_send(*args, **kwargs):
        if failures:
            raise failures.pop()
        return real_send(*args, **kwargs)

    monkeypatch.setattr("payments.notifications.send_mail", flaky_send)
    with time_machine.travel(BEFORE_CUTOFF + dt.timedelta(minutes=1), tick=False) as clock:
        assert notices_retry_unsent() == 0  # 1st try fails
        assert notices_retry_unsent() == 0  # within the lease: not tried again
        clock.shift(dt.timedelta(minutes=3))
        assert notices_retry_unsent() == 0  # 2nd try fails
        clock.shift(dt.timedelta(minutes=3))
        assert notices_retry_unsent() == 1  # 3rd try sends
        clock.shift(dt.timedelta(minutes=3))
        assert notices_retry_unsent() == 0
    notice = Notice.objects.get(dedupe_key=key(payment))
    assert (notice.attempts, notice.last_error, notice.sent_at is not None) == (3, "", True)
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_send_that_keeps_failing_stops_after_five_tries(
    linked_loan, add_card, pay, monkeypatch, caplog
):
    payment = pay(linked_loan, add_card("4242424242424242"), "100.00")  # not handed over

    def broken_send(*args, **kwargs):
        raise SMTPServerDisconnected("mail server went away")

    monkeypatch.setattr("payments.notifications.send_mail", broken_send)
    with time_machine.travel(BEFORE_CUTOFF + dt.timedelta(minutes=1), tick=False) as clock:
        for _ in range(8):
            notices_retry_unsent()
            clock.shift(dt.timedelta(minutes=3))
    notice = Notice.objects.get(dedupe_key=key(payment))
    assert (notice.attempts, notice.sent_at) == (5, None)
    assert notice.last_error == "SMTPServerDisconnected: mail server went away"
    assert mail.outbox == []
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR] == [
        f"notice {key(payment)} not sent after 5 tries: SMTPServerDisconnected: "
        "mail server went away"
    ]
