"""Review (attacker), issue 15: money, badge and icon became tags (format_html). Text that may
come from a borrower, staff or a processor (a label, a class, an icon name) is escaped as the
include's `{{ }}` escaped it; a SafeString stays as it was marked."""

from decimal import Decimal

from django.template import Context, Template

XSS = '"><script>alert(1)</script>'


def render(source: str, **context) -> str:
    return Template(source).render(Context(context))


def test_a_badge_label_and_tone_are_escaped():
    html = render("{% badge label tone=tone %}", label=XSS, tone=XSS)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert html.count("<span") == 1


def test_an_icon_name_and_class_are_escaped():
    html = render("{% icon name class=cls %}", name=XSS, cls=XSS)
    assert "<script>" not in html and html.count("<svg") == 1


def test_money_is_formatted_and_its_size_escaped():
    html = render("{% money amount size=size %}", amount=Decimal("1234.5"), size=XSS)
    assert "$1,234.50" in html and "<script>" not in html


def test_the_tags_escape_with_autoescape_off_too():
    html = render("{% autoescape off %}{% badge label %}{% endautoescape %}", label=XSS)
    assert "<script>" not in html
