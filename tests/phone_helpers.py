"""One phone-layout check for every browser test: no sideways scrolling, 44 CSS px tap targets
(WCAG 2.5.5), at the phone widths the portal is designed for."""

SMALL_PHONE = {"width": 360, "height": 740}
PHONE = {"width": 390, "height": 844}
PHONES = [PHONE, SMALL_PHONE]
# Inline links inside running text are exempt from the target size (WCAG 2.5.5).
INLINE_TEXT = "p, li.alert, dd"


def small_targets_js(inline_in: str = INLINE_TEXT) -> str:
    """JS listing interactive elements shorter than 44 CSS px, links inside `inline_in`
    (CSS selectors of running text) excepted."""
    return f"""
() => [...document.querySelectorAll('a, button, input, select, summary')]
  .filter(el => el.offsetParent !== null && el.type !== 'hidden')
  .filter(el => !(el.tagName === 'A' && el.closest('{inline_in}')))
  .filter(el => el.type !== 'checkbox' && el.type !== 'radio')
  .map(el => [el.outerHTML.slice(0, 80), el.getBoundingClientRect().height])
  .filter(([, h]) => h < 44)
"""


SMALL_TARGETS_JS = small_targets_js()


def scroll_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def fits(page, width: int = PHONE["width"]) -> bool:
    """No sideways scrolling at `width` CSS px."""
    return scroll_width(page) <= width
