"""Charts drawn on the server: an SVG announced with its title and description, bars in
proportion, and the same figures in a table; what people typed is escaped."""

import re

from ish_portal.web.charts import Bar, bar_chart


def test_charts_bar_chart_is_accessible_and_proportional():
    html = str(bar_chart("Each lab's fill", "Seats filled", [Bar("EMBL <b>", 1, of=2), Bar("MPIA", 2, of=2)],
                         ("Lab", "Seats filled")))
    svg_id = re.search(r'aria-labelledby="(chart-\d+)-title \1-desc"', html).group(1)
    assert f'<title id="{svg_id}-title">Each lab&#39;s fill</title>' in html
    assert f'<desc id="{svg_id}-desc">Seats filled</desc>' in html and 'role="img"' in html
    widths = [float(w) for w in re.findall(r'class="chart-bar" x="0" y="[\d.]+" width="([\d.]+)"', html)]
    assert widths[1] == 2 * widths[0] > 0
    assert "<b>" not in html and "EMBL &lt;b&gt;" in html
    assert '<th scope="row">MPIA</th><td class="num">2 / 2</td>' in html


def test_charts_two_charts_on_a_page_never_share_an_id():
    first, second = (str(bar_chart("A", "B", [Bar("x", 0)], ("l", "v"))) for _ in range(2))
    ids = re.findall(r'id="([^"]+)"', first + second)
    assert len(ids) == len(set(ids))
