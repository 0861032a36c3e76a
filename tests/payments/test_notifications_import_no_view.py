"""payments/notifications.py is below the views: it imports no view module (issue 12)."""

import ast
from pathlib import Path

import payments


def test_notifications_imports_no_view_module():
    path = Path(payments.__file__).parent / "notifications.py"
    imported = [
        node.module or ""
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom)
    ]
    assert [m for m in imported if "views" in m.split(".")] == []
