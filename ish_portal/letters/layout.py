"""Laying out a letter on A4 with fpdf2: the letterhead and footer on every page, then the blocks
read from the template. All measures are in millimetres; font sizes in points.

A letter in a right-to-left language (Hebrew) is laid out mirrored: text flows from the right margin,
the date line and the signature stand left, the labels of a table right of their values. Text with
right-to-left characters is shaped (fpdf2 with HarfBuzz), which puts each line in visual order by
the Unicode bidirectional algorithm, so a Hebrew name in an English sentence, or a Latin name, a
date or a number in a Hebrew one, reads as it should. Characters Noto Sans lacks are drawn from the
fallback faces of fonts.py, loaded only when the letter has some."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

from ish_portal.letters.fonts import fonts_for, static_fonts
from ish_portal.letters.markup import Block
from ish_portal.text.i18n import RIGHT_TO_LEFT

FONT = "NotoSans"

INK = (33, 33, 33)
MUTED = (105, 105, 105)
RULE = (205, 205, 205)
ACCENT = (150, 24, 40)   # a Heidelberg red, for the letterhead, titles and the rules

LEFT, RIGHT, TOP, BOTTOM = 25.0, 20.0, 36.0, 25.0
# A certificate is symmetric, and its centred lines are kept shorter than a letter's.
CERTIFICATE_MARGIN, CERTIFICATE_INDENT = 25.0, 12.0
PT = 25.4 / 72              # millimetres per point
BODY_SIZE = 10.0
LINE_HEIGHT = 1.35                # times the font size
PARAGRAPH_GAP = 3.2
LABEL_WIDTH = 52.0                # first column of a <dl>
LABEL_SIZE = 9.0
ROW_PADDING = 1.2                 # above and below the text of a <dl> row
SIGNATURE_ROOM = 13.0             # blank space to sign in, above the signature line
SIGNATURE_LINE = 70.0
SIGNATURE_TEXT_GAP = 1.5          # between the signature line and the name below it

STYLES = {
    # tag or class: (size in pt, bold, colour, space above, space below)
    "h1": (15.0, True, ACCENT, 4.0, 3.0),
    "h2": (11.5, True, INK, 4.0, 2.0),
    "p": (BODY_SIZE, False, INK, 0.0, PARAGRAPH_GAP),
    "small": (9.0, False, MUTED, 0.0, PARAGRAPH_GAP),
    "dl": (BODY_SIZE, False, INK, 1.0, PARAGRAPH_GAP + 1.0),
    "title": (22.0, True, ACCENT, 0.0, 3.0),
    "name": (22.0, True, ACCENT, 3.0, 5.0),
}
GAP = 10.0  # what class="gap" adds above a block


@dataclass(frozen=True)
class Frame:
    """What the letterhead and the footer say, in the letter's language."""

    language: str
    title: str                      # the PDF's title in its properties
    letterhead: str                 # "City of Heidelberg · International Summer Science School"
    office: str                     # the line below it
    footer: str                     # left of the footer, e.g. the reference
    page_label: str                 # "Page {page} of {pages}"
    issued_on: date
    pages: int = 1                  # page numbers are printed only on letters of several pages
    certificate: bool = False       # a frame around the page, the content centred on it


def render_pdf(frame: Frame, blocks: list[Block]) -> bytes:
    pdf = lay_out(frame, blocks)
    if pdf.pages_count > 1:
        # Numbering needs the total; the first layout counted the pages, the second prints them.
        pdf = lay_out(replace(frame, pages=pdf.pages_count), blocks)
    return bytes(pdf.output())


def lay_out(frame: Frame, blocks: list[Block]) -> "LetterPDF":
    # Loading a font is most of what a letter costs: the italic only when the text has some, a
    # script's font only when the text has that script.
    italic = any(run.italic for block in blocks for line in block.lines for run in line)
    pdf = LetterPDF(frame, styles=("", "B", "I") if italic else ("", "B"),
                    characters=characters_of(frame, blocks))
    pdf.add_page()
    if frame.certificate:
        pdf.centred_blocks(blocks)
    else:
        pdf.blocks(blocks)
    return pdf


def characters_of(frame: Frame, blocks: list[Block]) -> frozenset[int]:
    """Every code point the letter prints (its page numbers are digits, which Noto Sans has)."""
    texts = [frame.letterhead, frame.office, frame.footer, frame.page_label]
    for block in blocks:
        texts.append(block.text)
        texts.extend(text for row in block.rows for text in row)
    return frozenset(ord(character) for text in texts for character in text)


def _needs_shaping(characters: frozenset[int]) -> bool:
    """Right-to-left letters, and bidirectional controls (which only the shaping engine understands
    rather than printing as missing glyphs)."""
    return any(unicodedata.bidirectional(chr(code)) in ("R", "AL")
               or unicodedata.category(chr(code)) == "Cf" for code in characters)


_MIRRORED = {Align.L: Align.R, Align.R: Align.L}


class LetterPDF(FPDF):
    def __init__(self, frame: Frame, styles: tuple[str, ...] = ("", "B", "I"),
                 characters: frozenset[int] = frozenset()) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.frame = frame
        self.rtl = frame.language in RIGHT_TO_LEFT
        fonts = static_fonts()
        for style in styles:
            self.add_font(FONT, style, fonts[style])
        fallbacks = fonts_for(frame.language, characters)
        self.fallbacks = bool(fallbacks)
        for face in fallbacks:
            for style, path in face.files.items():
                self.add_font(face.family, style, path)
        if fallbacks:
            # Bold or italic text in a script whose font has no such cut is set in its regular one
            # rather than left out.
            self.set_fallback_fonts([face.family for face in fallbacks], exact_match=False)
        for font in self.fonts.values():
            # The letter embeds a subset of each font, written out again by fontTools, which by
            # default works out every bounding box anew from the outlines of the glyphs kept:
            # about half of what embedding a Japanese or Chinese font costs. The glyphs' own boxes
            # are kept as they are either way; the font-wide ones (head, hhea, maxp, CFF's
            # FontBBox) then stay those of the whole font, which hold for any subset of it.
            font.ttfont.recalcBBoxes = False
        self.shaping = self.rtl or _needs_shaping(characters)
        if self.shaping:
            self.set_text_shaping(True, direction="rtl" if self.rtl else "ltr")
        side = CERTIFICATE_MARGIN if frame.certificate else RIGHT
        self.set_margins(LEFT, TOP, side)
        self.indent = CERTIFICATE_INDENT if frame.certificate else 0.0
        self.c_margin = 0  # text lines up with the letterhead's rule and the table's lines
        self.set_auto_page_break(True, margin=BOTTOM)
        # No "{nb}" alias: fpdf2 measures the alias, not the number, so a right-aligned "Page 1 of
        # {nb}" would stand off the margin; render_pdf() passes the real count instead.
        self.alias_nb_pages(None)
        self.set_lang(frame.language)
        self.set_title(frame.title)
        self.set_author(frame.letterhead)
        self.set_creator("ish-portal")
        # The same letter data gives the same bytes: the document is dated the day it is issued,
        # not the moment it was rendered.
        self.set_creation_date(datetime(frame.issued_on.year, frame.issued_on.month,
                                        frame.issued_on.day, tzinfo=UTC))
        self.set_text_color(*INK)

    # -- on every page ----------------------------------------------------------------------
    def header(self) -> None:
        if self.frame.certificate:
            self.set_draw_color(*ACCENT)
            self.set_line_width(0.6)
            self.rect(8, 8, self.w - 16, self.h - 16)
            self.set_line_width(0.2)
            self.rect(10, 10, self.w - 20, self.h - 20)
        # A letter's letterhead sits left, above the text; a certificate's is centred like it.
        align = Align.C if self.frame.certificate else self.start
        self.set_xy(self.l_margin, 17)
        self.set_font(FONT, "B", 11)
        self.set_text_color(*ACCENT)
        self.cell(0, 6, self.frame.letterhead, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, "", 8.5)
        self.set_text_color(*MUTED)
        self.cell(0, 4.5, self.frame.office, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(*ACCENT)
        self.set_line_width(0.4)
        self.line(self.l_margin, 30, self.w - self.r_margin, 30)
        self.set_text_color(*INK)
        self.set_y(TOP)

    def footer(self) -> None:
        self.set_y(-BOTTOM + 8)
        self.set_draw_color(*RULE)
        self.set_line_width(0.2)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.set_y(self.get_y() + 1.5)
        self.set_font(FONT, "", 8)
        self.set_text_color(*MUTED)
        width = self.w - self.l_margin - self.r_margin
        # The reference where the text starts (left, or right in a right-to-left letter), the page
        # number at the other end.
        label = ""
        if self.frame.pages > 1:
            label = self.frame.page_label.replace("{page}", str(self.page_no()))
            label = label.replace("{pages}", str(self.frame.pages))
        first, second = (label, self.frame.footer) if self.rtl else (self.frame.footer, label)
        self.cell(width / 2, 4, first, align=Align.L)
        if second:
            self.cell(width / 2, 4, second, align=Align.R)
        self.set_text_color(*INK)

    def _render_styled_text_line(self, *args, **kwargs):
        # fpdf2 (2.8) draws a line that uses a fallback face inside q ... Q, with its font (Tf)
        # inside, and then holds the font as written to the page, although Q has restored the one
        # before; the next line in that font would be drawn in the older size (a table's 9 pt
        # labels, say). Each line therefore writes its font again.
        if self.fallbacks:
            self.current_font_is_set_on_page = False
        return super()._render_styled_text_line(*args, **kwargs)

    @property
    def start(self) -> Align:
        """Where lines start: the left margin, or the right one in a right-to-left letter."""
        return Align.R if self.rtl else Align.L

    def _aligned(self, align: Align) -> Align:
        return _MIRRORED.get(align, align) if self.rtl else align

    # -- the body ---------------------------------------------------------------------------
    def blocks(self, blocks: list[Block]) -> None:
        for index, block in enumerate(blocks):
            following = blocks[index + 1] if index + 1 < len(blocks) else None
            self._keep_together(block, following)
            if block.tag == "dl":
                self._facts(block)
            else:
                self._text(block)

    def centred_blocks(self, blocks: list[Block]) -> None:
        """Blocks centred between the letterhead and the footer, as on a certificate. Their height
        is measured with the layout's own line breaking; content longer than a page starts at the
        top and flows on."""
        height = sum(self._extent(block) for block in blocks)
        room = self.page_break_trigger - TOP
        self.set_y(TOP + max(0.0, (room - height) / 2))
        self.blocks(blocks)

    def _keep_together(self, block: Block, following: Block | None) -> None:
        """Start a new page when a heading or a line marked keep (such as "Yours sincerely,") would
        be left alone at the bottom of a page, or a signature would be split from its line."""
        if block.tag in ("h1", "h2") or "keep" in block.classes:
            need = self._extent(block) + (self._lead(following) if following else 0.0)
        elif "signature" in block.classes:
            need = self._extent(block)
        else:
            return
        if self.get_y() + need > self.page_break_trigger and not self._at_top():
            self.add_page()

    def _extent(self, block: Block) -> float:
        """The height the block takes, with the space above and below it."""
        _, _, _, above, below = self._style(block)
        if block.tag == "dl":
            return above + sum(self._row_height(label, value) for label, value in block.rows) + below
        return above + self._signature_room(block) + self._text_height(block) + below

    def _lead(self, block: Block) -> float:
        """The height of the block's beginning: what must follow a heading onto its page."""
        _, _, _, above, _ = self._style(block)
        if block.tag == "dl":
            return above + (self._row_height(*block.rows[0]) if block.rows else 0.0)
        size = self._style(block)[0]
        two_lines = 2 * size * LINE_HEIGHT * PT
        return above + self._signature_room(block) + min(self._text_height(block), two_lines)

    def _style(self, block: Block) -> tuple[float, bool, tuple[int, int, int], float, float]:
        key = next((name for name in ("title", "name", "small") if name in block.classes), block.tag)
        size, bold, colour, above, below = STYLES[key]
        if "muted" in block.classes:
            colour = MUTED
        if "gap" in block.classes:
            above += GAP
        return size, bold, colour, above, below

    def _at_top(self) -> bool:
        return self.get_y() <= TOP + 0.1

    @staticmethod
    def _signature_room(block: Block) -> float:
        return SIGNATURE_ROOM + SIGNATURE_TEXT_GAP if "signature" in block.classes else 0.0

    def _text(self, block: Block) -> None:
        size, bold, colour, above, below = self._style(block)
        align = self._aligned(Align.R if "right" in block.classes
                              else Align.C if "center" in block.classes else Align.L)
        if not self._at_top():
            self.set_y(self.get_y() + above)
        if "signature" in block.classes:
            self.set_y(self.get_y() + SIGNATURE_ROOM)
            start = {Align.R: self.w - self.r_margin - SIGNATURE_LINE,
                     Align.C: (self.w - SIGNATURE_LINE) / 2}.get(align, self.l_margin)
            self.set_draw_color(*MUTED)
            self.set_line_width(0.2)
            self.line(start, self.get_y(), start + SIGNATURE_LINE, self.get_y())
            self.set_y(self.get_y() + SIGNATURE_TEXT_GAP)
        self.set_text_color(*colour)
        with self.text_columns(text_align=align, line_height=LINE_HEIGHT,
                               l_margin=self.l_margin + self.indent,
                               r_margin=self.r_margin + self.indent) as columns:
            with columns.paragraph(bottom_margin=0) as paragraph:
                for number, line in enumerate(block.lines):
                    if number:
                        paragraph.write("\n")
                    for run in line:
                        emphasis = ("B" if run.bold or bold else "") + ("I" if run.italic else "")
                        self.set_font(FONT, emphasis, size)
                        self._write(paragraph, run.text)
        self.set_y(self.get_y() + below)
        self.set_text_color(*INK)

    def _write(self, paragraph, text: str) -> None:
        if not self.shaping:
            paragraph.write(text)
            return
        # fpdf2's text regions skip the bidirectional algorithm that cell() and multi_cell() apply
        # (up to fpdf2 2.8 at least); its fragments are built here the way multi_cell() builds
        # them, and the line breaking then orders each line's runs by their direction.
        paragraph._text_fragments.extend(  # noqa: SLF001 - see above
            self._preload_bidirectional_text(self.normalize_text(text).replace("\r", ""), False))

    def _text_height(self, block: Block) -> float:
        size, bold, _, _, _ = self._style(block)
        line = size * LINE_HEIGHT * PT
        self.set_font(FONT, "B" if bold else "", size)
        width = self.w - self.l_margin - self.r_margin - 2 * self.indent
        lines = self.multi_cell(width, line, block.text, dry_run=True, output="LINES")
        return len(lines) * line

    def _row_height(self, label: str, value: str) -> float:
        line = BODY_SIZE * LINE_HEIGHT * PT
        self.set_font(FONT, "", BODY_SIZE)
        value_lines = self.multi_cell(self.w - self.l_margin - self.r_margin - LABEL_WIDTH, line, value,
                                      dry_run=True, output="LINES")
        self.set_font(FONT, "", LABEL_SIZE)
        label_lines = self.multi_cell(LABEL_WIDTH - 3, line, label, dry_run=True, output="LINES")
        return max(len(value_lines), len(label_lines)) * line + 2 * ROW_PADDING

    def _facts(self, block: Block) -> None:
        _, _, _, above, below = self._style(block)
        line = BODY_SIZE * LINE_HEIGHT * PT
        self.set_y(self.get_y() + above)
        self.set_draw_color(*RULE)
        self.set_line_width(0.2)
        value_width = self.w - self.l_margin - self.r_margin - LABEL_WIDTH
        # The label column is where lines start: left, or right in a right-to-left letter.
        label_x, value_x = ((self.l_margin + value_width + 3, self.l_margin) if self.rtl
                            else (self.l_margin, self.l_margin + LABEL_WIDTH))
        for label, value in block.rows:
            height = self._row_height(label, value)
            if self.get_y() + height > self.page_break_trigger:
                self.add_page()
            top = self.get_y()
            self.line(self.l_margin, top, self.w - self.r_margin, top)
            self.set_xy(label_x, top + ROW_PADDING)
            self.set_font(FONT, "", LABEL_SIZE)
            self.set_text_color(*MUTED)
            self.multi_cell(LABEL_WIDTH - 3, line, label, align=self.start)
            self.set_xy(value_x, top + ROW_PADDING)
            self.set_font(FONT, "", BODY_SIZE)
            self.set_text_color(*INK)
            self.multi_cell(value_width, line, value, align=self.start)
            self.set_y(top + height)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.set_y(self.get_y() + below)
