"""Markdown that organisers and trainers write, rendered to safe HTML."""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

# Raw HTML in the source is not rendered at all; nh3 then removes anything unsafe
# that Markdown itself could produce (e.g. javascript: links).
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "ul", "ol", "li", "h2", "h3", "h4", "blockquote",
    "code", "pre", "a", "table", "thead", "tbody", "tr", "th", "td", "hr",
}  # fmt: skip


# The same few texts (an edition's summary, a module's outline and objectives, its
# materials' descriptions) are rendered on every request for their pages: about a sixth
# of a module page went to parsing them again. The HTML depends on the text alone, so it
# is kept per process, keyed by the text itself (only someone holding the text finds it);
# bounded, least recently used first out.
_RENDERED = 512


def render_markdown(text: str | None) -> Markup:
    return Markup(_render(text or ""))  # noqa: S704 (sanitised by nh3 in _render)  # nosec B704


@lru_cache(maxsize=_RENDERED)
def _render(text: str) -> str:
    return nh3.clean(
        _markdown.render(text),
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
