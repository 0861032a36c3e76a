"""The contract between iSmartPay and a payment processor.

Callers see only these dataclasses and errors, never a processor's SDK objects. Every mutating
call takes an idempotency key whose payment row was committed first: calling again with the same
key returns the first outcome and never moves money twice.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Protocol


class ChargeStatus(StrEnum):
    SUCCEEDED = "succeeded"  # card: money captured
    PENDING = "pending"  # bank debit: submitted, settles or is returned later
    FAILED = "failed"  # declined: see decline_code


class SettlementStatus(StrEnum):
    PENDING = "pending"
    SETTLED = "settled"
    RETURNED = "returned"


@dataclass(frozen=True)
class CardInput:
    """What a person typed into the card-entry fields. Never stored, never logged."""

    number: str = field(repr=False)
    exp_month: int
    exp_year: int
    cvc: str = field(repr=False)
    postal_code: str = ""


@dataclass(frozen=True)
class CardToken:
    """What we keep of a card: the processor's token and display facts."""

    token: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    funding: str  # credit | debit | prepaid | unknown


@dataclass(frozen=True)
class BankAccountInput:
    holder_name: str
    routing_number: str
    account_number: str = field(repr=False)
    account_type: str  # checking | savings


@dataclass(frozen=True)
class BankToken:
    token: str
    last4: str


@dataclass(frozen=True)
class ChargeRequest:
    idempotency_key: str
    amount: Decimal  # dollars; converted to minor units inside the adapter
    source_token: str
    description: str = ""


@dataclass(frozen=True)
class ChargeResult:
    status: ChargeStatus
    processor_ref: str
    decline_code: str = ""  # e.g. insufficient_funds; empty unless FAILED
    created_on: dt.date | None = None


@dataclass(frozen=True)
class SettlementResult:
    status: SettlementStatus
    return_code: str = ""  # NACHA R-code when RETURNED


@dataclass(frozen=True)
class RefundResult:
    processor_ref: str
    amount: Decimal


class GatewayError(Exception):
    """Base class for processor failures."""


class CardRejected(GatewayError):
    """The card cannot be used at all (e.g. expired); nothing was charged."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


class TemporaryGatewayError(GatewayError):
    """The processor refused for now (processing_error); safe to retry with the same key."""


class OutcomeUnknown(GatewayError):
    """No answer (timeout, connection lost): the charge may or may not exist. Resolve it with
    fetch_charge(idempotency_key), never by charging again under a new key."""


class Gateway(Protocol):
    name: str

    def card_entry_form(self):
        """The form class that collects card details (a real processor's hosted fields post
        only a token); its `card_input()` or `token()` feeds tokenize_card."""

    def tokenize_card(self, card: CardInput, *, idempotency_key: str) -> CardToken: ...

    def register_bank_account(
        self, account: BankAccountInput, *, idempotency_key: str
    ) -> BankToken: ...

    def verify_micro_deposits(self, token: str, amounts: tuple[Decimal, Decimal]) -> bool: ...

    def charge(self, request: ChargeRequest) -> ChargeResult: ...

    def fetch_charge(self, idempotency_key: str) -> ChargeResult | None: ...

    def settlement_status(self, processor_ref: str, *, on: dt.date) -> SettlementResult: ...

    def refund(
        self, *, idempotency_key: str, processor_ref: str, amount: Decimal
    ) -> RefundResult: ...
