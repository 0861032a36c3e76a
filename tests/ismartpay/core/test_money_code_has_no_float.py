"""Target 12: no float anywhere in money code; every rounding names its mode.

Money code is every module of the `loans` and `payments` apps (migrations excluded) and
`ismartpay/core/money.py`. The check reads their syntax trees, so it also covers code paths no
other test happens to run.
"""

import ast
from pathlib import Path

from django.apps import apps
from django.db import models
from shared_helpers import ROOT

MONEY_PACKAGES = ("loans", "payments")
MONEY_MODULES = ("ismartpay/core/money.py",)

# Floats that are not money: PDF layout in points and inches (reportlab takes floats).
# Each entry is (module, function) → why; a float anywhere else in money code fails the test.
LAYOUT_ONLY = {
    ("payments/history/receipt_pdf.py", "receipt_pdf_bytes"): "receipt PDF line offsets (inches)",
    ("loans/letters.py", "payoff_letter_pdf"): "line gaps in points on the payoff letter",
    ("payments/activity_export.py", "activity_pdf_bytes"): "column offsets in inches (PDF)",
    ("payments/autopay/leases.py", "lease"): "a claim's lease in seconds (time, not money)",
    ("payments/jobs.py", "_finish_held_by_others"): "a polling pause in seconds (time, not money)",
}


def _money_files() -> list[Path]:
    files = [ROOT / m for m in MONEY_MODULES]
    for package in MONEY_PACKAGES:
        files += [f for f in (ROOT / package).rglob("*.py") if "migrations" not in f.parts]
    return sorted(files)


def _nodes_with_function(tree: ast.AST):
    """Yield (node, name of the outermost enclosing function or None) for every node."""

    def walk(node, function):
        for child in ast.iter_child_nodes(node):
            inner = function
            if function is None and isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                inner = child.name
            yield child, inner
            yield from walk(child, inner)

    yield from walk(tree, None)


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name


def _float_uses(path: Path) -> list[str]:
    relative = _relative(path)
    found = []
    for node, function in _nodes_with_function(ast.parse(path.read_text(), str(path))):
        if (relative, function) in LAYOUT_ONLY:
            continue
        if isinstance(node, ast.Constant) and type(node.value) is float:
            found.append(f"{relative}:{node.lineno} float literal {node.value!r}")
        elif isinstance(node, ast.Name) and node.id == "float":
            found.append(f"{relative}:{node.lineno} float (call, annotation or type)")
        elif isinstance(node, ast.Attribute) and node.attr == "FloatField":
            found.append(f"{relative}:{node.lineno} FloatField")
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = {a.name for a in node.names} | {getattr(node, "module", None)}
            if names & {"math", "statistics", "numpy", "fractions"}:
                modules = sorted(names - {None})
                found.append(f"{relative}:{node.lineno} imports float maths {modules}")
    return found


def _unnamed_roundings(path: Path) -> list[str]:
    relative = _relative(path)
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.Call):
            continue
        keywords = {k.arg for k in node.keywords}
        func = node.func
        if isinstance(func, ast.Name) and func.id == "round":
            # round() on a Decimal silently uses the context's mode (half-even by default).
            found.append(f"{relative}:{node.lineno} round() names no mode")
        elif isinstance(func, ast.Attribute) and func.attr == "quantize":
            if "rounding" not in keywords and len(node.args) < 2:
                found.append(f"{relative}:{node.lineno} quantize() without rounding=")
        elif "Context" in (getattr(func, "id", None), getattr(func, "attr", None)) and (
            "rounding" not in keywords
        ):
            found.append(f"{relative}:{node.lineno} Decimal Context without rounding=")
    return found


def test_the_scan_covers_the_money_modules():
    names = {f.relative_to(ROOT).as_posix() for f in _money_files()}
    for module in (
        "ismartpay/core/money.py",
        "loans/allocation.py",
        "loans/interest.py",
        "loans/schedule.py",
        "loans/services.py",
        "payments/services/submission.py",
        "payments/services/gate.py",
        "payments/services/refunds.py",
        "payments/autopay/engine.py",
        "payments/autopay/schedule.py",
        "payments/gateways/sandbox.py",
        "payments/forms/pay.py",
    ):
        assert module in names
    assert not any("migrations" in n for n in names)


def test_the_scan_finds_a_float_where_it_would_be_one(tmp_path):
    sample = tmp_path / "probe.py"
    sample.write_text(
        "import math\n"
        "def fee(x):\n"
        "    return float(x) * 0.05 + round(x)\n"
        "class M:\n"
        "    rate = models.FloatField()\n"
    )
    assert [u.split(" ", 1)[1] for u in _float_uses(sample)] == [
        "imports float maths ['math']",
        "float (call, annotation or type)",
        "float literal 0.05",
        "FloatField",
    ]
    assert [u.split(" ", 1)[1] for u in _unnamed_roundings(sample)] == ["round() names no mode"]


def test_no_float_in_money_code():
    found = [use for path in _money_files() for use in _float_uses(path)]
    assert found == []


def test_every_rounding_in_money_code_names_its_mode():
    found = [use for path in _money_files() for use in _unnamed_roundings(path)]
    assert found == []


def test_no_money_model_field_is_a_float():
    floats = [
        f"{model._meta.label}.{field.name}"
        for app in MONEY_PACKAGES
        for model in apps.get_app_config(app).get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.FloatField)
    ]
    assert floats == []
