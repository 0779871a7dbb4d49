"""Reading the HTML of a page in tests: its elements with their attributes, the ids it gives twice,
and the controls a refused form marks as wrong, with the messages they are described by."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    parent: "Element | None" = None
    text: list[str] = field(default_factory=list)

    def inside(self, other: "Element") -> bool:
        node = self.parent
        while node is not None:
            if node is other:
                return True
            node = node.parent
        return False

    @property
    def content(self) -> str:
        return " ".join("".join(self.text).split())


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.open: list[Element] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {name: value or "" for name, value in attrs}, self.open[-1] if self.open else None)
        self.elements.append(element)
        if tag == "title":
            self._in_title = True
        if tag not in VOID:
            self.open.append(element)

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index].tag == tag:
                del self.open[index:]
                break

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        for element in self.open:
            element.text.append(data)


class Page:
    def __init__(self, html: str) -> None:
        reader = _Reader()
        reader.feed(html)
        self.elements = reader.elements
        self.title = " ".join(reader.title.split())
        self.by_id = {e.attrs["id"]: e for e in self.elements if "id" in e.attrs}

    def duplicate_ids(self) -> list[str]:
        counts = Counter(e.attrs["id"] for e in self.elements if "id" in e.attrs)
        return sorted(name for name, count in counts.items() if count > 1)

    def find(self, tag: str | None = None, **attrs: str) -> list[Element]:
        wanted = {name.replace("_", "-"): value for name, value in attrs.items()}
        return [e for e in self.elements if (tag is None or e.tag == tag)
                and all(e.attrs.get(name) == value for name, value in wanted.items())]

    def one(self, tag: str | None = None, **attrs: str) -> Element:
        found = self.find(tag, **attrs)
        assert len(found) == 1, (tag, attrs, len(found))
        return found[0]

    def descriptions(self, element: Element) -> str:
        """The text of what aria-describedby points at, each id of which must exist."""
        ids = element.attrs.get("aria-describedby", "").split()
        missing = [name for name in ids if name not in self.by_id]
        assert not missing, f"aria-describedby points at ids that do not exist: {missing}"
        return " ".join(self.by_id[name].content for name in ids)

    def summary_entries(self) -> list[tuple[str, str]]:
        """(link target, text) of each linked entry of the page's error summaries."""
        summaries = self.find(None, **{"class": "error-summary"})
        return [(e.attrs.get("href", ""), e.content) for e in self.elements
                if e.tag == "a" and any(e.inside(summary) for summary in summaries)]

    def invalid_controls(self) -> list[Element]:
        return [e for e in self.elements if e.attrs.get("aria-invalid") == "true"]
