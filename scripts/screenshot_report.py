"""Render a report's index.html in headless Chromium and save a PNG screenshot.

    python scripts/screenshot_report.py dice-report/index.html report.png [--height 9000]

Uses :func:`pymc_dice.report.screenshot` (``/usr/bin/chromium --headless ...``).
"""

from __future__ import annotations

import argparse

from pymc_dice.report import screenshot


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("page", help="the report's index.html")
    parser.add_argument("png", help="PNG to write")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=9000)
    parser.add_argument("--chromium", help="Chromium executable (default: found on PATH)")
    args = parser.parse_args()
    path = screenshot(
        args.page, args.png, width=args.width, height=args.height, chromium=args.chromium
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
