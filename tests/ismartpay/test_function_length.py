"""Issue 12: no function over ~50 lines without a reason in a comment.

The check reads the syntax tree of every module of the project's packages (migrations
excluded), so the rule cannot drift silently. A function longer than MAX_LINES (from its `def`
line to its last line, docstring included) passes only when a comment holding MARKER stands
between its `def` and its first statement after the docstring, giving the reason, e.g.

    # Kept whole: one transaction, read top to bottom (lock, check, write, audit).
"""

import ast
from pathlib import Path

from shared_helpers import ROOT

PACKAGES = ("ismartpay", "accounts", "loans", "payments", "documents", "helpcentre")
MAX_LINES = 50
MARKER = "kept whole"


def _project_files() -> list[Path]:
    files = []
    for package in PACKAGES:
        files += [f for f in (ROOT / package).rglob("*.py") if "migrations" not in f.parts]
    return sorted(files)


def _first_statement_line(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """The line of the first statement after the docstring (the docstring's own when alone)."""
    body = node.body
    has_docstring = (
        isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    )
    first = body[1] if has_docstring and len(body) > 1 else body[0]
    return first.lineno


def long_functions_without_reason(source: str, relative: str) -> list[str]:
    """`module:line name (N lines)` for each function over MAX_LINES with no MARKER comment
    before its first statement."""
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source, relative)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        length = node.end_lineno - node.lineno + 1
        if length <= MAX_LINES:
            continue
        head = lines[node.lineno - 1 : _first_statement_line(node)]
        if any(line.strip().startswith("#") and MARKER in line.lower() for line in head):
            continue
        found.append(f"{relative}:{node.lineno} {node.name} ({length} lines)")
    return found


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _all_findings() -> list[str]:
    found = []
    for path in _project_files():
        found += long_functions_without_reason(path.read_text(), _relative(path))
    return found


def test_every_function_over_50_lines_is_split_or_says_why_it_is_kept_whole():
    assert _all_findings() == []


def test_the_scan_covers_the_project_packages_and_skips_migrations():
    names = {_relative(f) for f in _project_files()}
    for module in (
        "ismartpay/staff_search.py",
        "loans/services.py",
        "payments/services/received.py",
        "payments/autopay/services.py",
        "documents/figures.py",
        "accounts/audit.py",
    ):
        assert module in names
    assert not any("migrations" in n for n in names)


def _function(name: str, body_lines: int, *, comment: str = "") -> str:
    head = f"def {name}():\n" + '    """Doc."""\n' + (f"    {comment}\n" if comment else "")
    return head + "    x = 1\n" * body_lines


def test_the_scan_finds_a_long_function_with_no_reason():
    source = _function("long_one", 49) + _function("short_one", 48)
    assert long_functions_without_reason(source, "probe.py") == ["probe.py:1 long_one (51 lines)"]


def test_a_kept_whole_comment_before_the_first_statement_is_the_reason():
    with_reason = _function("long_one", 48, comment="# Kept whole: one transaction.")
    assert long_functions_without_reason(with_reason, "probe.py") == []


def test_a_kept_whole_comment_further_down_is_not_the_reason():
    late = _function("long_one", 49) + "    # kept whole\n    x = 2\n"
    assert long_functions_without_reason(late, "probe.py") == ["probe.py:1 long_one (53 lines)"]
