"""The pages' escaping: PageTemplate prints plain strings where Jinja's standard templates print
markupsafe.Markup objects, and bdi escapes its value once. Both must give byte for byte the text
the standard escaping gives, for any value and on real pages."""

from contextlib import contextmanager

from hypothesis import given, strategies as st
from jinja2 import Environment, Template
from markupsafe import Markup, escape

from ish_portal.nominations.models import Document
from ish_portal.web import templating
from ish_portal.web.templating import PageTemplate, bdi, escape_text
from tests.applicants.test_applicant import applicant, offer, world  # noqa: F401
from tests.staff import as_organiser, edition, organiser  # noqa: F401


class Html:
    """A value that brings its own HTML, as Markup and the portal's marked texts do."""

    def __init__(self, html: str) -> None:
        self.html = html

    def __html__(self) -> str:
        return self.html


class Plain:
    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text


# Text with everything escaping is about, in any script, beside other kinds of value.
text = st.text(alphabet=st.sampled_from("<>&'\"a é\u05d0\u65e5\n\t\\%s{}") | st.characters(), max_size=40)
values = st.one_of(text, st.integers(), st.floats(allow_nan=False), st.none(), st.booleans(),
                   text.map(Markup), text.map(Html), text.map(Plain))


@given(values)
def test_escape_text_is_markupsafes_escape_as_plain_text(value):
    expected = str(escape(value))
    assert escape_text(value) == expected
    assert type(escape_text(value)) is str


@given(values)
def test_bdi_is_the_standard_wrapping(value):
    expected = Markup("") if value is None or value == "" else Markup("<bdi>%s</bdi>") % value
    assert bdi(value) == expected
    assert isinstance(bdi(value), Markup)


# What a page does with values: prints them, joins them with ~, keeps them in macros, {% set %}
# blocks, a call block and a filter block, marks them safe, and passes them through bdi.
SOURCE = """<p title="{{ a }}">{{ a }}{{ b }}{{ a ~ b }}{{ a|e }}{{ b|safe }}{{ a|bdi }}</p>
{% macro cell(x, y) %}<td>{{ x }}|{{ y|bdi }}</td>{% endmacro %}{{ cell(a, b) }}{{ cell(b, a)|upper }}
{% set kept %}<i>{{ a }}</i>{% endset %}{{ kept }}{{ kept ~ a }}
{% macro wrapped(x) %}<div>{{ x }}{{ caller() }}</div>{% endmacro %}{% call wrapped(a) %}{{ b }}{% endcall %}{% filter lower %}<B>{{ a }}</B>{% endfilter %}
{% for item in items %}<li>{{ item }}{{ loop.index }}</li>{% endfor %}{{ items|join(a) }}
{% autoescape false %}{{ a }}{% endautoescape %}{{ [a, b]|first }}{{ none }}"""


def environment(template_class):
    made = Environment(autoescape=True)
    made.template_class = template_class
    made.filters["bdi"] = bdi
    return made.from_string(SOURCE)


STANDARD, OURS = environment(Template), environment(PageTemplate)


@given(values, values, st.lists(values, max_size=3))
def test_a_page_template_renders_what_a_standard_template_renders(a, b, items):
    standard, ours = STANDARD, OURS
    assert ours.render(a=a, b=b, items=items) == standard.render(a=a, b=b, items=items)


@contextmanager
def standard_templates():
    """The portal's templates compiled as standard Jinja templates for a while."""
    env = templating.env
    env.template_class = Template
    env.cache.clear()
    try:
        yield
    finally:
        env.template_class = PageTemplate
        env.cache.clear()


def both_ways(client, url: str) -> tuple[str, str]:
    ours = client.get(url)
    with standard_templates():
        standard = client.get(url)
    assert ours.status_code == standard.status_code == 200
    return ours.text, standard.text


def test_the_review_list_is_byte_identical(as_organiser, db, make, edition):
    names = [("<Zoë>", "O'Brien & \"Co\""), ("אברהם", "כהן"), ("太郎", "山田")]
    for n, (given_name, family_name) in enumerate(names):
        organisation = make.organisation(db, name=f"École <{n}> & Fils", slug=f"city-{n}")
        nomination = make.nomination(db, edition, organisation, given_name=given_name, family_name=family_name)
        db.add(Document(nomination_id=nomination.id, kind="cv", original_filename="cv.pdf",
                        content_type="application/pdf", size_bytes=5, sha256=f"{n}" * 64))
    db.commit()
    ours, standard = both_ways(as_organiser, "/organiser/nominations?q=%3Cscript%3E")
    assert ours == standard
    ours, standard = both_ways(as_organiser, "/organiser/nominations")
    assert ours == standard
    assert "&lt;Zoë&gt;" in ours and "O&#39;Brien &amp; &#34;Co&#34;" in ours


def test_the_status_page_is_byte_identical(applicant, db, world):
    edition_, nomination, labs = world
    offer(db, nomination, labs["embl"])
    ours, standard = both_ways(applicant, "/applicant")
    assert ours == standard
    assert "You are offered a place" in ours


def test_a_pages_compiled_code_is_kept_for_the_next_process(client):
    """A new process's first request of a page would otherwise spend most of its time compiling the
    page's templates: the code compiled for one request is on disk, checked against the source."""
    env = templating.env
    assert client.get("/login").status_code == 200
    source, filename, _uptodate = env.loader.get_source(env, "accounts/login.html")
    kept = env.bytecode_cache.get_bucket(env, "accounts/login.html", filename, source)
    assert kept.code is not None
    # Code for other source is not taken for this template's.
    changed = env.bytecode_cache.get_bucket(env, "accounts/login.html", filename, source + "<!-- edited -->")
    assert changed.code is None
