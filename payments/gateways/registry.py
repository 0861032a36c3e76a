"""PAYMENT_GATEWAY names the processor; callers ask here and never import an adapter."""

from functools import cache
from importlib import import_module

from django.conf import settings

ADAPTERS = {
    "sandbox": "payments.gateways.sandbox.SandboxGateway",
}


@cache
def _load(name: str):
    try:
        path = ADAPTERS[name]
    except KeyError:
        raise LookupError(f"Unknown PAYMENT_GATEWAY {name!r}; known: {sorted(ADAPTERS)}") from None
    module, _, cls = path.rpartition(".")
    return getattr(import_module(module), cls)()


def get_gateway():
    return _load(settings.PAYMENT_GATEWAY)
