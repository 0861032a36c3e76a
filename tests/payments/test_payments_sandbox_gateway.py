"""The sandbox follows contracts.md's test numbers and a real processor's idempotency rules."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from shared_helpers import SANDBOX_ROUTING

from payments.gateways import get_gateway
from payments.gateways.base import (
    BankAccountInput,
    CardInput,
    CardRejected,
    ChargeRequest,
    ChargeStatus,
    GatewayError,
    SettlementStatus,
    TemporaryGatewayError,
)
from payments.gateways.sandbox import CARD_OUTCOMES
from payments.models import SandboxCharge

pytestmark = pytest.mark.django_db
TUESDAY = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)


def _card(number: str, exp=(12, 2030)):
    return get_gateway().tokenize_card(
        CardInput(number=number, exp_month=exp[0], exp_year=exp[1], cvc="123"),
        idempotency_key="t",
    )


def _charge(token: str, key: str = "k1", amount: str = "10.00"):
    return get_gateway().charge(
        ChargeRequest(idempotency_key=key, amount=Decimal(amount), source_token=token)
    )


@pytest.mark.parametrize("number", sorted(CARD_OUTCOMES))
def test_every_sandbox_card_behaves_as_contracts_md_says(number):
    outcome, funding = CARD_OUTCOMES[number]
    token = _card(number)
    assert token.last4 == number[-4:] and token.funding == funding
    if outcome.startswith("error:"):
        with pytest.raises(TemporaryGatewayError):
            _charge(token.token)
        assert not SandboxCharge.objects.exists()  # safe to retry
        return
    result = _charge(token.token)
    if outcome == "ok":
        assert result.status == ChargeStatus.SUCCEEDED and result.decline_code == ""
    else:
        assert result.status == ChargeStatus.FAILED
        assert result.decline_code == outcome.partition(":")[2]


def test_brands_are_detected():
    assert [
        _card(n).brand for n in ("4242424242424242", "5555555555554444", "378282246310005")
    ] == ["visa", "mastercard", "amex"]


@time_machine.travel(TUESDAY, tick=False)
def test_an_expiry_date_in_the_past_is_refused_before_any_charge():
    with pytest.raises(CardRejected) as refused:
        _card("4242424242424242", exp=(10, 2026))
    assert refused.value.code == "expired_card"
    assert _card("4242424242424242", exp=(11, 2026)).exp_month == 11  # valid to month's end


def test_the_same_key_returns_the_first_result_and_charges_once():
    token = _card("4242424242424242").token
    first, second = _charge(token), _charge(token)
    assert first == second
    assert SandboxCharge.objects.count() == 1
    assert get_gateway().fetch_charge("k1") == first
    assert get_gateway().fetch_charge("never-sent") is None


def test_reusing_a_key_for_another_amount_is_refused():
    token = _card("4242424242424242").token
    _charge(token, amount="10.00")
    with pytest.raises(GatewayError, match="different parameters"):
        _charge(token, amount="11.00")


@time_machine.travel(TUESDAY, tick=False)
@pytest.mark.parametrize(
    ("account", "status", "code"),
    [
        ("000123456789", SettlementStatus.SETTLED, ""),
        ("000111111113", SettlementStatus.RETURNED, "R02"),
        ("000111111116", SettlementStatus.RETURNED, "R03"),
        ("000222222227", SettlementStatus.RETURNED, "R01"),
        ("000333333335", SettlementStatus.RETURNED, "R10"),
    ],
)
def test_bank_debits_are_pending_then_settle_or_return_after_two_business_days(
    account, status, code
):
    gateway = get_gateway()
    bank = gateway.register_bank_account(
        BankAccountInput("Dana Demo", SANDBOX_ROUTING, account, "checking"), idempotency_key="b"
    )
    result = _charge(bank.token)
    assert result.status == ChargeStatus.PENDING
    friday = dt.date(2026, 11, 27)  # Thanksgiving on the 26th is skipped
    assert (
        gateway.settlement_status(result.processor_ref, on=friday - dt.timedelta(days=1)).status
        == SettlementStatus.PENDING
    )
    settled = gateway.settlement_status(result.processor_ref, on=friday)
    assert (settled.status, settled.return_code) == (status, code)


def test_micro_deposits_are_32_and_45_cents():
    gateway = get_gateway()
    assert gateway.verify_micro_deposits("ba", (Decimal("0.45"), Decimal("0.32")))
    assert not gateway.verify_micro_deposits("ba", (Decimal("0.32"), Decimal("0.54")))


def test_refunds_are_idempotent_and_never_exceed_the_charge():
    token = _card("4242424242424242").token
    charge = _charge(token, amount="10.00")
    gateway = get_gateway()
    first = gateway.refund(
        idempotency_key="r1", processor_ref=charge.processor_ref, amount=Decimal("10.00")
    )
    assert (
        gateway.refund(
            idempotency_key="r1", processor_ref=charge.processor_ref, amount=Decimal("10.00")
        )
        == first
    )
    with pytest.raises(GatewayError):
        gateway.refund(
            idempotency_key="r2", processor_ref=charge.processor_ref, amount=Decimal("0.01")
        )
