"""Payment processors behind one small interface (base.py); pick one with PAYMENT_GATEWAY."""

from .registry import get_gateway

__all__ = ["get_gateway"]
