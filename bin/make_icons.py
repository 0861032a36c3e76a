"""Draws the app icons (PNG) from static/icons/logo.svg with headless Chromium.

Run after changing the logo:  .venv/bin/python bin/make_icons.py
Writes icon-192.png and icon-512.png (the logo, rounded corners), icon-maskable-512.png (the car
inside the 80 % safe zone on a full-bleed brand square, so launchers may crop it to any shape)
and apple-touch-icon.png (180 x 180, opaque: iOS draws its own rounded corners).
"""

from pathlib import Path

from playwright.sync_api import sync_playwright

ICONS = Path(__file__).resolve().parent.parent / "static" / "icons"
BRAND = "#0b5cad"


def _page(svg: str, size: int, *, inset: float, background: str) -> str:
    pad = size * inset
    return (
        "<!doctype html><html><body style='margin:0;background:"
        f"{background}'><div style='width:{size}px;height:{size}px;padding:{pad}px;"
        f"box-sizing:border-box'>{svg.replace('<svg ', '<svg width=100% height=100% ', 1)}"
        "</div></body></html>"
    )


def main() -> None:
    logo = (ICONS / "logo.svg").read_text()
    # The maskable icon: the car alone (no rounded square) on the brand colour.
    car_only = logo.replace('<rect width="32" height="32" rx="8" fill="#0b5cad"/>', "")
    jobs = [
        ("icon-192.png", logo, 192, 0.0, "transparent"),
        ("icon-512.png", logo, 512, 0.0, "transparent"),
        ("icon-maskable-512.png", car_only, 512, 0.05, BRAND),
        ("apple-touch-icon.png", logo.replace('rx="8"', 'rx="0"'), 180, 0.0, BRAND),
    ]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        for name, svg, size, inset, background in jobs:
            page = browser.new_page(viewport={"width": size, "height": size})
            page.set_content(_page(svg, size, inset=inset, background=background))
            page.screenshot(path=str(ICONS / name), omit_background=background == "transparent")
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
