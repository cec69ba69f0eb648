"""Rendering of the report templates: autoescape, ``StrictUndefined``, a CSP, one trusted
fragment.

Every data-derived string reaches the page escaped. The only HTML the templates receive
unescaped is produced by :func:`trusted`, the one function that marks a fragment as
:class:`markupsafe.Markup`; it is used for the stylesheet read from the repository, nothing else.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from hhsurvey.errors import InputError
from hhsurvey.outputs.fonts import DEBIAN_NOTO_SANS_LAO, embedded_font_css

__all__ = ["csp", "environment", "render", "trusted", "write_html"]


def trusted(html: str, where: str = "report/static/report.css") -> Markup:
    """The one place a string becomes Markup: only repository files (the stylesheet, with the
    embedded font's base64 @font-face rules) pass.

    It refuses anything that could close the ``<style>`` element it is written into.
    """
    if re.search(r"</\s*style|<\s*script|<!--", html, flags=re.IGNORECASE):
        raise InputError(
            "the stylesheet contains markup (</style>, <script> or <!--)",
            where,
            "keep the stylesheet plain CSS",
        )
    return Markup(html)  # noqa: S704 - trusted repository file, checked above


def environment(template_dir: str | os.PathLike[str], translations: Any = None) -> Environment:
    """The templates' environment: autoescape, StrictUndefined and gettext (jinja2.ext.i18n,
    ``{% trans %}`` trimmed); *translations* default to English (the msgids)."""
    import gettext

    env = Environment(
        loader=FileSystemLoader(str(template_dir)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_translations(  # type: ignore[attr-defined]
        translations or gettext.NullTranslations(), newstyle=True
    )
    return env


def csp(css: str) -> str:
    """Content-Security-Policy: nothing may load or run except the inline stylesheet (by hash),
    data-URI images and the embedded data-URI font. Defence in depth behind autoescaping."""
    digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")
    return (
        "default-src 'none'; img-src data:; font-src data:; "
        f"style-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"
    )


def render(
    context: Mapping[str, Any],
    template: str | os.PathLike[str],
    css: str | os.PathLike[str],
    fonts: Sequence[str | os.PathLike[str]] = DEBIAN_NOTO_SANS_LAO,
    translations: Any = None,
) -> str:
    """Render the report template with the stylesheet inlined and, when the page holds Lao
    text, a subset of the Lao font embedded (so Lao renders on a machine without a Lao font).
    *translations*: the gettext catalogue of the page's language (default English)."""
    template = Path(template)
    base = Path(css).read_text(encoding="utf-8")
    tpl = environment(template.parent, translations).get_template(template.name)
    # First pass without the font, to learn which Lao characters the page holds.
    draft = tpl.render(**context, css=trusted(base), csp=csp(base))
    font_css = embedded_font_css(draft, fonts) if fonts else ""
    if not font_css:
        return draft
    css_text = font_css + "\n" + base
    return tpl.render(**context, css=trusted(css_text), csp=csp(css_text))


def write_html(
    context: Mapping[str, Any],
    template: str | os.PathLike[str],
    css: str | os.PathLike[str],
    out: str | os.PathLike[str],
    translations: Any = None,
    fonts: Sequence[str | os.PathLike[str]] = DEBIAN_NOTO_SANS_LAO,
) -> str:
    """Render *template* with *context* and write the page to *out* (folders created)."""
    html = render(context, template, css, fonts=fonts, translations=translations)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(html, encoding="utf-8")
    return html
