"""The sandbox processor's own records: what a real processor would keep on its side.

Kept in our database so web, workers and tests see one processor, and so a charge the sandbox
accepted survives a crash of the caller (the recovery sweep finds it by idempotency key).
Holds no card or account number: only the test outcome a number maps to.
"""

from django.db import models


class SandboxToken(models.Model):
    token = models.CharField(max_length=40, unique=True)
    kind = models.CharField(max_length=4)  # card | bank
    outcome = models.CharField(
        max_length=40
    )  # ok | decline:<code> | error:<code> | return:<R-code>
    brand = models.CharField(max_length=20, blank=True)
    last4 = models.CharField(max_length=4)
    funding = models.CharField(max_length=10, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.token


class SandboxCharge(models.Model):
    idempotency_key = models.CharField(max_length=80, unique=True)
    processor_ref = models.CharField(max_length=40, unique=True)
    token = models.CharField(max_length=40)
    amount_cents = models.BigIntegerField()
    status = models.CharField(max_length=10)  # succeeded | pending | failed
    decline_code = models.CharField(max_length=40, blank=True)
    created_on = models.DateField()  # the processor's business date of the charge
    refunded_cents = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.processor_ref


class SandboxRefund(models.Model):
    idempotency_key = models.CharField(max_length=80, unique=True)
    charge = models.ForeignKey(SandboxCharge, on_delete=models.PROTECT, related_name="refunds")
    processor_ref = models.CharField(max_length=40, unique=True)
    amount_cents = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.processor_ref
