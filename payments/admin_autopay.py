"""Moved: the autopay admin lives in payments/autopay/admin.py (importing it registers it)."""

from .autopay.admin import *  # noqa: F403
