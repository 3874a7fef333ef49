"""A headless-Chromium screenshot of a report page."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = ["find_chromium", "screenshot"]


def find_chromium() -> str | None:
    """Path of a Chromium / Chrome executable, or None.

    Examples
    --------
    >>> find_chromium() is None or Path(find_chromium()).exists()
    True
    """
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def screenshot(
    page: str | Path,
    png: str | Path,
    *,
    width: int = 1400,
    height: int = 6000,
    chromium: str | None = None,
    timeout: float = 120.0,
) -> Path:
    """Render an HTML file in headless Chromium and save a ``width`` x ``height`` PNG.

    Raises
    ------
    FileNotFoundError
        No Chromium executable, or no ``page``.
    RuntimeError
        Chromium did not write the PNG (its stderr is in the message).

    Examples
    --------
    >>> screenshot("no-such-report/index.html", "report.png")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    FileNotFoundError: no such page: ...index.html
    """
    page = Path(page).resolve()
    png = Path(png).resolve()
    if not page.exists():
        raise FileNotFoundError(f"no such page: {page}")
    exe = chromium or find_chromium()
    if exe is None:
        raise FileNotFoundError("no Chromium executable found (install chromium)")
    if png.exists():
        png.unlink()
    with tempfile.TemporaryDirectory(prefix="pymc-dice-chromium-") as profile:
        cmd = [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            f"--screenshot={png}",
            f"--window-size={int(width)},{int(height)}",
            page.as_uri(),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if not png.exists():
        raise RuntimeError(
            f"chromium wrote no screenshot (exit {proc.returncode}): {proc.stderr[-800:]}"
        )
    return png
