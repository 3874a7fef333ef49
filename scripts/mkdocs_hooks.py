"""mkdocs hooks for the documentation site (configured in ``mkdocs.yml``).

The docstrings use Sphinx cross-reference roles (``:func:`pymc_dice.data.infer_roles```),
which mkdocstrings renders verbatim. This hook turns each rendered role into an optional
cross-reference: a link when the target is documented on the site, plain code otherwise (an
optional reference never warns, so the strict build is unaffected).
"""

from __future__ import annotations

import re

_ROLE = re.compile(
    r":(?:py:)?(?:func|class|meth|mod|attr|data|obj|exc|const):<code>(~?)([\w.]+)(\(\))?</code>"
)


_ANCHOR = re.compile(r'id="(pymc_dice\.[\w.]+)"')


def on_page_content(html: str, **kwargs) -> str:
    """Rewrite Sphinx roles left in the rendered page.

    A relative target (``DiceMMM.fit``, ``auroc``) is completed from the objects documented on
    the same page when exactly one of them ends with it.
    """
    anchors = set(_ANCHOR.findall(html))

    def replace(match: re.Match) -> str:
        short, target, call = match[1], match[2], match[3] or ""
        shown = target.rsplit(".", 1)[-1] if short else target
        if target not in anchors:
            found = [a for a in anchors if a.endswith(f".{target}")]
            if len(found) == 1:
                target = found[0]
        return f'<autoref identifier="{target}" optional><code>{shown}{call}</code></autoref>'

    return _ROLE.sub(replace, html)
