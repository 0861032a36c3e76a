"""Moved: the autopay pages live in payments/autopay/views.py (autopay is one slice). This
module stays importable under its old name and is the same module object."""

import sys

from ..autopay import views as _moved

sys.modules[__name__] = _moved
