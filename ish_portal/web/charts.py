"""Charts drawn on the server as SVG, so they need no JavaScript: a horizontal bar chart with a
title and a description that screen readers announce (role="img", aria-labelledby), and the same
figures in a table beneath it for anyone who cannot see the picture (and for copying)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import count

from markupsafe import Markup, escape


BAR = 18          # height of one bar, in SVG units
LABEL = 20        # the line of its label above it
GAP = 8
BAR_WIDTH = 480
VALUE_WIDTH = 80
_ids = count(1)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    of: float | None = None   # a bar of a whole (seats filled of capacity): drawn against it
    text: str = ""            # the value as shown; the number when empty


def _shown(bar: Bar) -> str:
    if bar.text:
        return bar.text
    value = int(bar.value) if float(bar.value).is_integer() else round(bar.value, 2)
    return f"{value} / {int(bar.of)}" if bar.of is not None else str(value)


def bar_chart(title: str, description: str, bars: Sequence[Bar], headers: tuple[str, str]) -> Markup:
    """A figure: the SVG chart, then a table of label and value (headers: the two columns)."""
    number = next(_ids)
    chart_id = f"chart-{number}"
    top = max([bar.of if bar.of is not None else bar.value for bar in bars] or [0]) or 1
    row_height = LABEL + BAR + GAP
    height = max(len(bars), 1) * row_height + GAP
    width = BAR_WIDTH + VALUE_WIDTH
    parts = [f'<svg class="chart" dir="ltr" viewBox="0 0 {width} {height}" width="100%" role="img" '
             f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{chart_id}-title">{escape(title)}</title>',
             f'<desc id="{chart_id}-desc">{escape(description)}</desc>']
    for row, bar in enumerate(bars):
        # Each bar under its label, so that a long lab name is never cut.
        y = GAP + row * row_height
        length = round(BAR_WIDTH * bar.value / top, 1)
        parts.append(f'<text x="0" y="{y + LABEL - 5}" class="chart-label">{escape(bar.label)}</text>')
        if bar.of is not None:
            parts.append(f'<rect class="chart-whole" x="0" y="{y + LABEL}" '
                         f'width="{round(BAR_WIDTH * bar.of / top, 1)}" height="{BAR}"/>')
        parts.append(f'<rect class="chart-bar" x="0" y="{y + LABEL}" width="{length}" height="{BAR}"/>')
        parts.append(f'<text x="{length + 4}" y="{y + LABEL + BAR * 0.75}" class="chart-value">'
                     f'{escape(_shown(bar))}</text>')
    parts.append("</svg>")
    rows = "".join(f'<tr><th scope="row">{escape(bar.label)}</th><td class="num">{escape(_shown(bar))}</td></tr>'
                   for bar in bars)
    table = (f'<table class="chart-table"><caption class="sr-only">{escape(title)}</caption>'
             f'<thead><tr><th scope="col">{escape(headers[0])}</th><th scope="col" class="num">'
             f'{escape(headers[1])}</th></tr></thead><tbody>{rows}</tbody></table>')
    # The picture is drawn left to right in every language (a chart's axis does not mirror);
    # its labels keep their own direction inside the SVG text.
    return Markup(f'<figure class="chart-figure" aria-describedby="{chart_id}-caption">'
                  f'{"".join(parts)}<figcaption id="{chart_id}-caption">{escape(description)}</figcaption>'
                  f'{table}</figure>')
