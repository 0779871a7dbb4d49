"""A one-sheet Excel workbook (.xlsx) written while it is sent.

An .xlsx file is a ZIP archive of a few XML parts. The general libraries (openpyxl, XlsxWriter)
hand the archive over only once it is complete, so a long list holds its worker, and the whole
sheet, until the last row is written. Here the fixed parts go out first, then the sheet's XML is
made and compressed a batch of rows at a time and each batch leaves at once: the first bytes go
out before the list is even read, and memory does not grow with the number of rows. zipfile can
write to a stream it cannot seek back in; it then puts each part's sizes and checksum after the
part (a "data descriptor", bit 3 of the ZIP format's flags). That is a standard part of ZIP that
spreadsheet programs read: Java's ZipOutputStream writes every compressed part that way, and so
every .xlsx made by Apache POI. The tests read the files back with openpyxl.

Cells are typed: numbers stay numbers, dates and times are Excel dates in a date format, text is
written inline (a shared-strings table would have to be kept until the end). Text that XML cannot
carry (control characters) is dropped rather than breaking the file."""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

# Level 1 rather than zlib's default 6: for 9,212 nominations the file is a fifth larger (996 kB
# against 831 kB, still smaller than openpyxl's) and the writer spends about a third less time.
COMPRESSLEVEL = 1
# Excel refuses longer text in a cell.
MAX_TEXT = 32_767
# Excel counts days from 30 December 1899; its numbers are wrong before March 1900 (it counts a
# 29 February 1900), so older dates are written as text.
_EPOCH = datetime(1899, 12, 30)
_FIRST_DATE = datetime(1900, 3, 1)
_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
DATE_STYLE, DATETIME_STYLE = 1, 2

_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"

CONTENT_TYPES = (
    f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPE}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_TYPE}.worksheet+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{_TYPE}.styles+xml"/>'
    '</Types>')
PACKAGE_RELS = (
    f'{_HEAD}<Relationships xmlns="{_RELS}">'
    f'<Relationship Id="rId1" Type="{_DOC}/officeDocument" Target="xl/workbook.xml"/>'
    '</Relationships>')
WORKBOOK_RELS = (
    f'{_HEAD}<Relationships xmlns="{_RELS}">'
    f'<Relationship Id="rId1" Type="{_DOC}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_DOC}/styles" Target="styles.xml"/>'
    '</Relationships>')
# Cell style 1 is a date, 2 a date and time (the order of DATE_STYLE and DATETIME_STYLE).
STYLES = (
    f'{_HEAD}<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm"/></numFmts>'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '</styleSheet>')
SHEET_START = f'{_HEAD}<worksheet xmlns="{_MAIN}"><sheetData>'
SHEET_END = "</sheetData></worksheet>"


def _escape(text: str) -> str:
    """Text for an element's content (a cell); attributes need _escape_attribute."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escape_attribute(text: str) -> str:
    return _escape(text).replace('"', "&quot;")


def sheet_name(title: str) -> str:
    """Excel's rules for a sheet's name: at most 31 characters, none of []:*?/\\, not starting or
    ending with an apostrophe, not empty."""
    name = re.sub(r"[\[\]:*?/\\]", " ", _NOT_IN_XML.sub("", title))[:31].strip("'")
    return name or "List"


def _column_letters(count: int) -> list[str]:
    letters = []
    for number in range(1, count + 1):
        name = ""
        while number:
            number, rest = divmod(number - 1, 26)
            name = chr(65 + rest) + name
        letters.append(name)
    return letters


def _text(ref: str, value: str) -> str:
    value = value[:MAX_TEXT]
    # Without the attribute, XML readers may drop spaces at either end.
    space = ' xml:space="preserve"' if value != value.strip() else ""
    return f'<c r="{ref}" t="inlineStr"><is><t{space}>{_escape(value)}</t></is></c>'


def _number(ref: str, value: Any) -> str:
    if isinstance(value, float | Decimal) and not math.isfinite(value):
        return _text(ref, str(value))
    return f'<c r="{ref}"><v>{value}</v></c>'


def _date(ref: str, value: date) -> str:
    if value < _FIRST_DATE.date():
        return _text(ref, value.isoformat())
    return f'<c r="{ref}" s="{DATE_STYLE}"><v>{(value - _EPOCH.date()).days}</v></c>'


def _datetime(ref: str, value: datetime) -> str:
    """A naive datetime: Excel knows no time zones, the caller decides which wall clock it is."""
    if value < _FIRST_DATE:
        return _text(ref, value.isoformat(" ", "minutes"))
    delta = value - _EPOCH
    return f'<c r="{ref}" s="{DATETIME_STYLE}"><v>{delta.days + delta.seconds / 86400!r}</v></c>'


def _boolean(ref: str, value: bool) -> str:
    return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'


_CELLS = {str: _text, int: _number, float: _number, Decimal: _number, bool: _boolean, date: _date,
          datetime: _datetime}


def _row(number: int, letters: list[str], values: Sequence[Any]) -> str:
    cells = []
    for letter, value in zip(letters, values):
        if value is None or value == "":
            continue  # an empty cell is simply left out
        kind = type(value)
        if kind is str:  # most cells: handled here rather than through _CELLS, for speed
            cells.append(_text(f"{letter}{number}", value))
        else:
            cell = _CELLS.get(kind)
            cells.append(cell(f"{letter}{number}", value) if cell else _text(f"{letter}{number}", str(value)))
    return f'<row r="{number}">{"".join(cells)}</row>'


class _Outbox:
    """A write-only stream: zipfile writes into it, the generator takes what has been written.
    Having no tell() or seek() makes zipfile write data descriptors instead of seeking back."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def workbook_chunks(title: str, headers: Sequence[str], batches: Iterable[Sequence[Sequence[Any]]]) -> Iterator[bytes]:
    """The workbook in pieces: one sheet named after title, headers in its first row, then the
    rows, a piece per batch of rows. Strings are written as given; a caller that wants formulas
    neutralised does it first."""
    out = _Outbox()
    archive = zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESSLEVEL)
    archive.writestr("[Content_Types].xml", CONTENT_TYPES)
    archive.writestr("_rels/.rels", PACKAGE_RELS)
    archive.writestr("xl/workbook.xml", (
        f'{_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_DOC}"><sheets>'
        f'<sheet name="{_escape_attribute(sheet_name(title))}" sheetId="1" r:id="rId1"/></sheets></workbook>'))
    archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
    archive.writestr("xl/styles.xml", STYLES)
    letters = _column_letters(len(headers))
    with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
        sheet.write(f"{SHEET_START}{_row(1, letters, headers)}".encode("utf-8"))
        yield out.take()
        number = 1
        for batch in batches:
            xml = "".join([_row(n, letters, row) for n, row in enumerate(batch, number + 1)])
            number += len(batch)
            # Markup has no control characters, so one pass over the batch cleans every text.
            sheet.write(_NOT_IN_XML.sub("", xml).encode("utf-8"))
            if data := out.take():
                yield data
        sheet.write(SHEET_END.encode("utf-8"))
    archive.close()
    yield out.take()
