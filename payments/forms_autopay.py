"""Moved: the autopay form lives in payments/autopay/forms.py. Importable here too."""

from .autopay.forms import *  # noqa: F403
from .autopay.forms import AutopayForm, terms_from_session, terms_to_session  # noqa: F401
