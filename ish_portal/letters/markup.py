"""The small HTML subset the letter templates are written in, read into blocks for the layout.

    <h1>, <h2>                     headings
    <p class="...">                a paragraph; inside it <b>/<strong>, <i>/<em> and <br>
    <dl><dt>label</dt><dd>value</dd>...</dl>
                                   facts in two columns (plain text: styles inside are ignored)

Classes on <h1>, <h2> and <p>: right, center, small, muted, title and name (large, for a
certificate), signature (room to sign and a line above the paragraph), keep (never the last thing
on a page: "Yours sincerely,"), gap (extra room above).

Anything else is refused with the template's line, so a typo in a template fails the first time the
letter is made (in the tests) rather than printing raw tags into a letter. Whitespace collapses as in
HTML; entities are decoded, so values escaped by Jinja print as typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

TEXT_BLOCKS = ("h1", "h2", "p")
CLASSES = frozenset({"right", "center", "small", "muted", "title", "name", "signature", "keep",
                     "gap"})
INLINE = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic"}
WHITESPACE = re.compile(r"[ \t\r\n\f]+")  # HTML's whitespace; not U+00A0, which must stay


class MarkupError(ValueError):
    pass


@dataclass(frozen=True)
class Run:
    text: str
    bold: bool = False
    italic: bool = False


@dataclass
class Block:
    tag: str                                            # h1, h2, p or dl
    classes: frozenset[str] = frozenset()
    lines: list[list[Run]] = field(default_factory=lambda: [[]])   # split at <br>
    rows: list[tuple[str, str]] = field(default_factory=list)      # for dl

    @property
    def text(self) -> str:
        return "\n".join("".join(run.text for run in line) for line in self.lines)


def parse(source: str) -> list[Block]:
    parser = _Parser()
    parser.feed(source)
    parser.close()
    return parser.finish()


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.block: Block | None = None
        self.inline: list[str] = []          # open <b>/<i> tags, innermost last
        self.cell: str | None = None         # "dt" or "dd" while inside one
        self.cell_text: list[str] = []
        self.label: str | None = None

    # -- tags -------------------------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in TEXT_BLOCKS or tag == "dl":
            if self.block is not None:
                self._fail(f"<{tag}> inside <{self.block.tag}>")
            self.block = Block(tag=tag, classes=self._classes(tag, attrs))
        elif tag in INLINE:
            self._need_text_block(tag)
            self.inline.append(tag)
        elif tag == "br":
            self._need_text_block(tag)
            self.block.lines.append([])
        elif tag in ("dt", "dd"):
            if self.block is None or self.block.tag != "dl" or self.cell is not None:
                self._fail(f"<{tag}> outside <dl>")
            if tag == "dd" and self.label is None:
                self._fail("<dd> without a <dt> before it")
            self.cell, self.cell_text = tag, []
        else:
            self._fail(f"<{tag}> is not part of the letters' markup")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "br":
            self._fail(f"<{tag}/> is not part of the letters' markup")
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in INLINE:
            if not self.inline or self.inline[-1] != tag:
                self._fail(f"</{tag}> does not close the innermost open tag")
            self.inline.pop()
        elif tag in ("dt", "dd"):
            if self.cell != tag:
                self._fail(f"</{tag}> without <{tag}>")
            text = _collapse("".join(self.cell_text)).strip()
            if tag == "dt":
                self.label = text
            else:
                self.block.rows.append((self.label, text))
                self.label = None
            self.cell = None
        elif tag in TEXT_BLOCKS or tag == "dl":
            if self.block is None or self.block.tag != tag:
                self._fail(f"</{tag}> without <{tag}>")
            if self.inline:
                self._fail(f"<{self.inline[-1]}> is not closed before </{tag}>")
            if tag == "dl" and self.label is not None:
                self._fail("<dt> without its <dd>")
            self.blocks.append(self.block)
            self.block = None
        elif tag != "br":
            self._fail(f"</{tag}> is not part of the letters' markup")

    # -- text -------------------------------------------------------------------------------
    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell_text.append(data)
        elif self.block is not None and self.block.tag in TEXT_BLOCKS:
            styles = {INLINE[tag] for tag in self.inline}
            self.block.lines[-1].append(Run(data, "bold" in styles, "italic" in styles))
        elif data.strip():
            where = f"<{self.block.tag}>" if self.block else "no paragraph"
            self._fail(f"text {data.strip()[:40]!r} in {where}")

    def finish(self) -> list[Block]:
        if self.block is not None:
            self._fail(f"<{self.block.tag}> is not closed")
        for block in self.blocks:
            block.lines = [_tidy(line) for line in block.lines]
        return self.blocks

    # -- helpers ----------------------------------------------------------------------------
    def _classes(self, tag: str, attrs: list[tuple[str, str | None]]) -> frozenset[str]:
        classes: frozenset[str] = frozenset()
        for name, value in attrs:
            if name != "class":
                self._fail(f"attribute {name!r} on <{tag}>; only class is understood")
            classes = frozenset((value or "").split())
        if tag == "dl" and classes:
            self._fail("<dl> takes no class")
        unknown = classes - CLASSES
        if unknown:
            self._fail(f"unknown class {sorted(unknown)[0]!r} on <{tag}>")
        return classes

    def _need_text_block(self, tag: str) -> None:
        if self.block is None or self.block.tag not in TEXT_BLOCKS:
            self._fail(f"<{tag}> outside a paragraph or heading")

    def _fail(self, problem: str) -> None:
        line, _ = self.getpos()
        raise MarkupError(f"letter template, line {line}: {problem}")


def _collapse(text: str) -> str:
    return WHITESPACE.sub(" ", text)


def _tidy(line: list[Run]) -> list[Run]:
    """Collapse whitespace as a browser would: one space between words, none at the line's ends,
    and no run left empty."""
    runs: list[Run] = []
    previous_ends_in_space = True  # the start of a line counts as after a space
    for run in line:
        text = _collapse(run.text)
        if previous_ends_in_space:
            text = text.lstrip(" ")
        if not text:
            continue
        runs.append(Run(text, run.bold, run.italic))
        previous_ends_in_space = text.endswith(" ")
    while runs and runs[-1].text.endswith(" "):
        last = runs.pop()
        if last.text.rstrip(" "):
            runs.append(Run(last.text.rstrip(" "), last.bold, last.italic))
    return runs
