"""Interactive views that still say something where widgets cannot be shown.

The quiz and the explorers are ipywidgets containers. A notebook frontend
with a widget manager (JupyterLab, Notebook 7, Colab, VS Code) renders them
live. Everywhere else (a terminal, a script, GitHub's notebook preview, a
stored notebook opened without widget state) they fall back to a static view
of what the widget currently shows: the display data carries that view as
``text/html`` and ``text/plain`` beside the widget itself.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import ipywidgets as widgets

from .runtime import in_colab


def _shell():
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with ipywidgets
        return None
    return get_ipython()


def widget_frontend_likely() -> bool:
    """True inside a Jupyter or Colab kernel, where a widget frontend is usually attached."""
    if in_colab():
        return True
    shell = _shell()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


class _TextExtractor(HTMLParser):
    """Turn the small HTML the course renders into readable plain text."""

    _BREAK_BEFORE = {"p", "div", "h1", "h2", "h3", "h4", "li", "table", "pre"}
    _BREAK_AFTER = {"p", "div", "tr", "h1", "h2", "h3", "h4", "li", "table", "pre", "br"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._cell_open = False

    def handle_starttag(self, tag, attrs):
        if tag in self._BREAK_BEFORE or tag == "br":
            self.parts.append("\n")
        if tag in ("td", "th"):
            if self._cell_open:
                self.parts.append(" | ")
            self._cell_open = True
        if tag == "tr":
            self._cell_open = False
        if tag == "li":
            self.parts.append("- ")

    def handle_endtag(self, tag):
        if tag in self._BREAK_AFTER:
            self.parts.append("\n")

    def handle_data(self, data):
        self.parts.append(data)


def html_to_text(html: str) -> str:
    """Plain-text rendering of the HTML that the course's widgets display."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    lines = [line.rstrip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


class StaticFallbackBox(widgets.VBox):
    """A VBox whose display data also carries a static view (HTML and text) of its current state."""

    def static_html(self) -> str:
        raise NotImplementedError

    def static_text(self) -> str:
        return html_to_text(self.static_html())

    def show_static(self) -> None:
        """Print the static view (what a frontend without widgets shows)."""
        print(self.static_text())

    def _repr_mimebundle_(self, **kwargs):
        data = super()._repr_mimebundle_(**kwargs)
        data["text/html"] = self.static_html()
        data["text/plain"] = self.static_text()
        return data


def finish(box: StaticFallbackBox, static: bool | None) -> StaticFallbackBox:
    """Print the static view when asked (``static=True``), or by default outside IPython.

    Under IPython (a kernel or the terminal) the display data already carries
    the static view, so it is not printed twice.
    """
    if static or (static is None and _shell() is None):
        box.show_static()
    return box


__all__ = ["StaticFallbackBox", "finish", "html_to_text", "widget_frontend_likely"]
