"""Letters as PDF: each letter in every language whose letters are written is a PDF whose text
(read back with pypdf) holds the names in their own script, with their diacritics, the dates in the
letter's language and, in the visa letter, the passport's facts in Latin script. Hebrew letters
are laid out right to left and read back in logical order."""

import io
import re
import tempfile
from dataclasses import replace
from datetime import date

import pytest
from fontTools import ttLib
from pypdf import PdfReader

from fpdf.bidi import BidiParagraph
from fpdf.enums import TextDirection

from ish_portal.letters import (
    LANGUAGES,
    LetterData,
    LetterDataError,
    MarkupError,
    acceptance_letter,
    certificate,
    country_name,
    missing_characters,
    visa_letter,
    wording_language,
    written_languages,
)
from ish_portal.letters.__main__ import main as preview
from ish_portal.letters.fonts import cache_dir, covered_characters, hebrew_fonts, static_fonts
from ish_portal.letters.layout import Frame, render_pdf
from ish_portal.letters.markup import Run, parse
from ish_portal.letters.render import TEMPLATES

NAMES = ["Łukasz Kowalski", "Žofie Nováková", "Noémie Laurent", "Jürgen Müller"]
DATES = {"en": ("12 July 2027", "7 August 2027"), "de": ("12. Juli 2027", "7. August 2027")}


def letter_data(language="en", **changes) -> LetterData:
    data = LetterData(
        language=language,
        full_name="Žofie Nováková",
        passport_name="ZOFIE NOVAKOVA",
        date_of_birth=date(2009, 11, 3),
        nationality=country_name("CZ", language),
        passport_number="CZ4471902",
        edition_title="ISH 2027",
        starts_on=date(2027, 7, 12),
        ends_on=date(2027, 8, 7),
        lab_group="Neutrino Physics",
        institute="Max Planck Institute for Nuclear Physics (MPIK)",
        tutor_name="Dr. Jürgen Müller",
        issued_on=date(2027, 4, 20),
        reference="ISH-2027-0117",
    )
    return replace(data, **changes)


# Names as people write them, one per script the partner cities write in.
SCRIPTS = {
    "latin": "Łukasz Kowalski-Šćepanović",
    "cyrillic": "Олександра Шевченко",
    "hebrew": "נועה כהן",
    "chinese": "王晓明",
    "japanese": "熊本 さくら",
}
HEBREW = re.compile(r"[\u0590-\u05FF]+")
CJK = "\u3040-\u30ff\u3400-\u9fff"


def pdf_text(pdf: bytes) -> str:
    """The text of every page, with line breaks and runs of spaces made single spaces, so a name
    wrapped at the end of a line still reads as one. pypdf reads the Chinese and Japanese fonts'
    two-byte codes with a NUL before each character, or a space between them (poppler's pdftotext
    reads them right); both are left out (compare with cjk_squashed())."""
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(" ".join(page.extract_text().replace("\x00", "").split()) for page in reader.pages)
    return cjk_squashed(text)


def cjk_squashed(text: str) -> str:
    return re.sub(f"(?<=[{CJK}]) (?=[{CJK}])", "", text)


def logical_lines(pdf: bytes, rtl: bool = True) -> list[str]:
    """The lines of a letter with Hebrew text as a reader reads them (logical order).

    pypdf gives each line's pieces from left to right as they are painted, with Hebrew words in
    their own order; turned back into the painted string and read with the Unicode bidirectional
    algorithm (at the letter's paragraph direction), that gives the logical text, so a line painted
    in the wrong order reads wrong here. Spaces beside punctuation are dropped: pypdf cannot tell on
    which side of a comma between two Hebrew words the space was."""
    base = TextDirection.RTL if rtl else TextDirection.LTR
    lines = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for line in page.extract_text().replace("\x00", "").splitlines():
            painted = HEBREW.sub(lambda match: match.group()[::-1], line)
            runs = BidiParagraph(text=painted, base_direction=base).get_bidi_fragments()
            in_order = runs[::-1] if rtl else runs
            text = "".join(run[::-1] if direction == TextDirection.RTL else run
                           for run, direction in in_order)
            lines.append(squashed(cjk_squashed(text)))
    return lines


def squashed(text: str) -> str:
    return re.sub(r"\s*([,.:;()])\s*", r"\1", " ".join(text.split()))


def page_count(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


# -- the three letters, in both languages -----------------------------------------------------

@pytest.mark.parametrize("language, name", [("en", NAMES[0]), ("de", NAMES[1])])
def test_acceptance_letter_names_participant_programme_dates_and_lab(language, name):
    pdf = acceptance_letter(letter_data(language, full_name=name))
    assert pdf.startswith(b"%PDF-")
    assert page_count(pdf) == 1
    text = pdf_text(pdf)
    first, last = DATES[language]
    heading = {"en": "Admission to the programme", "de": "Aufnahme in das Programm"}[language]
    greeting = {"en": f"Dear {name},", "de": f"Guten Tag {name},"}[language]
    for expected in (heading, greeting, "ISH 2027", f"{first} ", f" {last}", "Neutrino Physics",
                     "Max Planck Institute for Nuclear Physics (MPIK)", "Dr. Jürgen Müller",
                     "City of Heidelberg" if language == "en" else "Stadt Heidelberg"):
        assert expected in text


@pytest.mark.parametrize("language", ["en", "de"])
def test_acceptance_letter_before_placement_promises_the_lab_later(language):
    text = pdf_text(acceptance_letter(letter_data(language, lab_group="", institute="", tutor_name="")))
    promise = {"en": "We will tell you the lab you will work in as soon as the placement is complete.",
               "de": "In welcher Arbeitsgruppe Sie forschen werden, teilen wir Ihnen mit, sobald "
                     "die Platzvergabe abgeschlossen ist."}[language]
    assert promise in text
    assert "Jürgen Müller" not in text


def test_acceptance_letter_with_arrival_information_prints_it_instead_of_the_standard_sentence():
    arrival = "Your train ticket to Heidelberg Hauptbahnhof is in the attachment."
    text = pdf_text(acceptance_letter(letter_data(arrival_information=arrival)))
    assert arrival in text
    assert "Information about your arrival" not in text


@pytest.mark.parametrize("language, name", [("en", NAMES[2]), ("de", NAMES[3])])
def test_visa_letter_gives_passport_facts_stay_and_purpose(language, name):
    data = letter_data(language, passport_name=name.upper(), passport_expiry=date(2031, 5, 30))
    pdf = visa_letter(data)
    assert page_count(pdf) == 1
    text = pdf_text(pdf)
    first, last = DATES[language]
    expected = {
        "en": [f"Full name as in passport {name.upper()}", "Date of birth 3 November 2009",
               "Nationality Czechia", "Passport number CZ4471902",
               "Passport valid until 30 May 2031", f"Stay in Heidelberg {first} to {last}",
               "To the Embassy or Consulate General of the Federal Republic of Germany",
               "To whom it may concern,", "Research internship in a Heidelberg research lab"],
        "de": [f"Name laut Reisepass {name.upper()}", "Geburtsdatum 3. November 2009",
               "Staatsangehörigkeit Tschechien", "Reisepassnummer CZ4471902",
               "Reisepass gültig bis 30. Mai 2031", f"Aufenthalt in Heidelberg {first} bis {last}",
               "An die Botschaft oder das Generalkonsulat der Bundesrepublik Deutschland",
               "Sehr geehrte Damen und Herren,", "Forschungspraktikum in einem Heidelberger"],
    }[language]
    for line in expected:
        assert line in text
    office = {"en": "City of Heidelberg, Office of the Lord Mayor, International Relations",
              "de": "Stadt Heidelberg, Büro des Oberbürgermeisters, Internationale Beziehungen"}
    assert office[language] in text


def test_visa_letter_without_passport_facts_is_refused_naming_them():
    with pytest.raises(LetterDataError) as refused:
        visa_letter(letter_data(passport_number=" ", date_of_birth=None))
    assert str(refused.value) == "the visa letter needs date_of_birth, passport_number"


@pytest.mark.parametrize("language, name", [("en", NAMES[1]), ("de", NAMES[2])])
def test_certificate_names_participant_edition_dates_lab_and_presentation(language, name):
    pdf = certificate(letter_data(language, full_name=name))
    assert page_count(pdf) == 1
    text = pdf_text(pdf)
    first, last = DATES[language]
    expected = {
        "en": ["Certificate of Participation", f"This is to certify that {name} took part",
               f"from {first} to {last}", "the project and its results were presented to the lab tutors"],
        "de": ["Teilnahmebescheinigung", f"Hiermit wird bestätigt, dass {name} vom {first} bis zum {last}",
               "den Betreuerinnen und Betreuern im Labor vorgestellt"],
    }[language]
    for line in expected + ["ISH 2027", "Neutrino Physics",
                            "Max Planck Institute for Nuclear Physics (MPIK)", "Dr. Jürgen Müller"]:
        assert line in text


def test_certificate_without_lab_ends_the_german_sentence_after_taking_part():
    text = pdf_text(certificate(letter_data("de", lab_group="", institute="", tutor_name="")))
    assert "an der International Summer Science School Heidelberg teilgenommen hat." in text
    assert "Arbeitsgruppe" not in text


# -- names, fonts and scripts -----------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES + ["Ţuţea Őrsi Đorđe Ærøskøbing Čepelė"])
def test_letter_prints_partner_country_names_exactly(name):
    assert missing_characters(letter_data(full_name=name)) == ""
    assert f"certify that {name} took part" in pdf_text(certificate(letter_data(full_name=name)))


def test_letter_embeds_static_noto_sans_regular_and_bold():
    reader = PdfReader(io.BytesIO(acceptance_letter(letter_data())))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    assert {font.get_object()["/BaseFont"] for font in fonts.values()} == {
        "/MPDFAA+NotoSans", "/MPDFAA+NotoSansBold"}


def test_layout_embeds_italic_only_when_the_text_has_some():
    frame = Frame(language="en", title="Note", letterhead="City of Heidelberg", office="ISH",
                  footer="Reference: X-1", page_label="Page {page} of {pages}",
                  issued_on=date(2027, 4, 20))

    def fonts(source: str) -> set[str]:
        reader = PdfReader(io.BytesIO(render_pdf(frame, parse(source))))
        return {font.get_object()["/BaseFont"] for font in reader.pages[0]["/Resources"]["/Font"].values()}

    assert fonts("<p>An <i>italic</i> word</p>") == {
        "/MPDFAA+NotoSans", "/MPDFAA+NotoSansBold", "/MPDFAA+NotoSansItalic"}
    assert fonts("<p>An upright word</p>") == {"/MPDFAA+NotoSans", "/MPDFAA+NotoSansBold"}


def test_font_cut_is_static_with_its_own_weight_and_name():
    fonts = static_fonts()
    assert sorted(fonts) == ["", "B", "I"]
    weights = {}
    for style, path in fonts.items():
        font = ttLib.TTFont(path)
        assert "fvar" not in font and "gvar" not in font
        weights[style] = (font["OS/2"].usWeightClass, font["name"].getDebugName(6))
        font.close()
    assert weights == {"": (400, "NotoSans-Regular"), "B": (700, "NotoSans-Bold"),
                       "I": (400, "NotoSans-Italic")}


def test_font_cache_falls_back_to_temporary_folder_when_user_cache_is_not_a_folder(tmp_path,
                                                                                 monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", None)  # let gettempdir() read TMPDIR again
    assert cache_dir().parent == tmp_path / "tmp"
    assert cache_dir().name.startswith("ish-portal-fonts-")


WRITTEN = written_languages()


@pytest.mark.parametrize("language", WRITTEN)
@pytest.mark.parametrize("script", SCRIPTS)
def test_acceptance_letter_and_certificate_print_a_name_in_every_script(language, script, caplog):
    data = letter_data(language, full_name=SCRIPTS[script])
    assert missing_characters(data) == ""
    for make in (acceptance_letter, certificate):
        pdf = make(data)
        assert page_count(pdf) == 1
        if language == "he" or script == "hebrew":
            text = " ".join(logical_lines(pdf, rtl=language == "he"))
        else:
            text = pdf_text(pdf)
        assert cjk_squashed(SCRIPTS[script]) in text
    assert "missing the following glyphs" not in caplog.text


@pytest.mark.parametrize("language", WRITTEN)
def test_visa_letter_shows_the_latin_passport_name_whatever_the_script_of_the_name(language):
    data = letter_data(language, full_name="王晓明", passport_name="WANG XIAOMING")
    pdf = visa_letter(data)
    assert page_count(pdf) == 1
    text = pdf_text(pdf)
    assert "WANG XIAOMING" in text
    assert "王晓明" not in text


def test_every_language_of_the_portal_makes_letters_in_english_until_its_own_are_written():
    assert set(LANGUAGES) == {"en", "de", "fr", "pl", "he", "ja", "zh"}
    assert {"en", "de"} <= set(WRITTEN)
    for language in LANGUAGES:
        written = (TEMPLATES / language).is_dir()
        assert wording_language(language) == (language if written else "en")
        pdf = certificate(letter_data(language))
        assert PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/Lang"] == wording_language(language)


def test_letter_dates_follow_the_portal_locale_of_the_language():
    chinese = "zh" in WRITTEN
    text = pdf_text(certificate(letter_data("zh" if chinese else "de")))
    assert ("2027年7月12日" if chinese else "12. Juli 2027") in text


HEBREW_LETTER = """
<p class="right">היידלברג, 20 באפריל 2027</p>
<p>{name}</p>
<h1>קבלה לתוכנית</h1>
<p>שלום {name}, ברוכה הבאה ל-<b>ISH 2027</b> מ-12 ביולי 2027 עד 7 באוגוסט 2027.</p>
<p>המנחה שלך: Dr. Jürgen Müller, מעבדה 3.</p>
<dl><dt>תוכנית</dt><dd>ISH 2027</dd><dt>מנחה</dt><dd>Dr. Jürgen Müller</dd></dl>
<p class="signature">צוות ISH</p>
"""


def hebrew_frame(**changes) -> Frame:
    frame = Frame(language="he", title="קבלה", letterhead="עיריית היידלברג", office="משרד ראש העיר",
                  footer="אסמכתה: ISH-2027-0042", page_label="עמוד {page} מתוך {pages}",
                  issued_on=date(2027, 4, 20))
    return replace(frame, **changes)


def test_hebrew_letter_reads_in_logical_order_with_latin_names_dates_and_numbers_inside():
    pdf = render_pdf(hebrew_frame(), parse(HEBREW_LETTER.format(name="נועה כהן")))
    lines = logical_lines(pdf)
    for expected in ("עיריית היידלברג", "היידלברג, 20 באפריל 2027", "קבלה לתוכנית",
                     "שלום נועה כהן, ברוכה הבאה ל-ISH 2027 מ-12 ביולי 2027 עד 7 באוגוסט 2027.",
                     "המנחה שלך: Dr. Jürgen Müller, מעבדה 3.", "אסמכתה: ISH-2027-0042"):
        assert squashed(expected) in lines


def test_hebrew_letter_is_laid_out_from_the_right_margin():
    def left_edges(pdf: bytes) -> dict[str, float]:
        edges: dict[str, float] = {}

        def visit(text, cm, tm, font, size):
            if text.strip():
                edges.setdefault(text.strip(), tm[4])
        PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
        return edges

    source = "<h1>קבלה לתוכנית</h1><p>שלום</p>"
    hebrew = render_pdf(hebrew_frame(), parse(source))
    english = render_pdf(hebrew_frame(language="en"), parse(source))
    # A short line ends at the right margin (past the middle of the page) in Hebrew, and starts at
    # the left one in the same text set as a left-to-right letter.
    assert left_edges(hebrew)["שלום"] > 300
    assert left_edges(english)["שלום"] < 100


def test_hebrew_name_inside_a_latin_letter_keeps_its_order():
    pdf = certificate(letter_data("en", full_name="נועה כהן"))
    [line] = [line for line in PdfReader(io.BytesIO(pdf)).pages[0].extract_text().splitlines()
              if HEBREW.search(line)]
    # Painted right to left inside the left-to-right line: pypdf, reading left to right, meets the
    # family name first.
    assert line.strip() == "כהן נועה"
    acceptance = acceptance_letter(letter_data("en", full_name="נועה כהן"))
    assert squashed("Dear נועה כהן,") in logical_lines(acceptance, rtl=False)


def test_letter_loads_a_script_font_only_when_its_text_needs_one():
    def fonts(data, make=acceptance_letter) -> set[str]:
        reader = PdfReader(io.BytesIO(make(data)))
        return {font.get_object()["/BaseFont"].split("+")[1]
                for font in reader.pages[0]["/Resources"]["/Font"].values()}

    assert fonts(letter_data()) == {"NotoSans", "NotoSansBold"}
    # The name is in regular type only: the bold Hebrew cut is loaded, and not embedded.
    assert fonts(letter_data(full_name="נועה כהן")) == {"NotoSans", "NotoSansBold", "NotoSansHebrew"}
    # The certificate sets the lab in bold.
    assert "NotoSansHebrewBold" in fonts(letter_data(lab_group="מעבדה"), certificate)
    assert fonts(letter_data(full_name="王晓明")) == {"NotoSans", "NotoSansBold", "NotoSansSC"}
    assert fonts(letter_data(full_name="熊本 さくら")) == {"NotoSans", "NotoSansBold", "NotoSansJP"}


def test_letter_with_a_chinese_name_stays_small():
    # The Chinese font has 30,000 glyphs (8 MB); only the few the letter uses are embedded.
    assert len(acceptance_letter(letter_data(full_name="王晓明"))) < 60_000


@pytest.mark.parametrize("text, missing", [
    ("Amazigh ⵜⵉⴼⵉⵏⴰⵖ", "ⵜⵉⴼⵏⴰⵖ"),
    ("Ana 😀 Kovač", "😀"),
    ("נועה\u200f כהן 王晓明 Олександра", ""),   # a right-to-left mark prints as nothing
])
def test_missing_characters_are_those_no_font_of_the_letters_draws(text, missing):
    assert missing_characters(letter_data(full_name=text)) == missing


def test_fonts_together_cover_every_script_of_the_partner_cities():
    covered = covered_characters()
    for name in SCRIPTS.values():
        assert all(ord(character) in covered for character in name if not character.isspace())
    assert 0x2D30 not in covered  # Tifinagh: no font of the letters has it


def test_hebrew_cut_is_static_and_keeps_what_shaping_needs():
    for style, weight in (("", 400), ("B", 700)):
        font = ttLib.TTFont(hebrew_fonts()[style])
        assert "fvar" not in font and "GSUB" in font
        assert font["OS/2"].usWeightClass == weight
        font.close()


# -- markup, escaping, pages --------------------------------------------------------------------

def test_letter_prints_markup_typed_into_a_value_as_text():
    text = pdf_text(certificate(letter_data(full_name="Ann <b>Lee</b> & Co")))
    assert "certify that Ann <b>Lee</b> & Co took part" in text


def test_markup_collapses_whitespace_and_keeps_bold_runs():
    [block] = parse("<p>\n  Dear   <b> Łukasz </b>,<br>\n  see you<i>soon</i>  </p>")
    assert block.lines == [[Run("Dear "), Run("Łukasz ", bold=True), Run(",")],
                           [Run("see you"), Run("soon", italic=True)]]


@pytest.mark.parametrize("source, problem", [
    ("<p>Hello <script>x</script></p>", "letter template, line 1: <script> is not part of the letters' markup"),
    ("<p class=\"shiny\">x</p>", "letter template, line 1: unknown class 'shiny' on <p>"),
    ("<p>open\n<b>bold</p>", "letter template, line 2: <b> is not closed before </p>"),
    ("loose text", "letter template, line 1: text 'loose text' in no paragraph"),
    ("<dl><dd>x</dd></dl>", "letter template, line 1: <dd> without a <dt> before it"),
])
def test_markup_refuses_what_it_does_not_know(source, problem):
    with pytest.raises(MarkupError) as refused:
        parse(source)
    assert str(refused.value) == problem


def test_letter_of_one_page_has_no_page_numbers_and_longer_one_has_them():
    short = pdf_text(acceptance_letter(letter_data()))
    long = acceptance_letter(letter_data(arrival_information=" ".join(
        ["Please bring your passport and your health insurance card."] * 60)))
    assert "Page 1 of" not in short
    assert page_count(long) == 2
    pages = [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(long)).pages]
    assert pages[0].endswith("Reference: ISH-2027-0117 Page 1 of 2")
    assert pages[1].endswith("Reference: ISH-2027-0117 Page 2 of 2")


def test_visa_letter_with_every_field_and_a_signatory_still_fits_one_page():
    data = letter_data("de", passport_expiry=date(2031, 5, 30), signatory_name="Maria Schmidt",
                       signatory_title="Koordination International Summer Science School",
                       passport_name="NOVAKOVA ZOFIE MARIE")
    pdf = visa_letter(data)
    assert page_count(pdf) == 1
    assert "Maria Schmidt Koordination International Summer Science School" in pdf_text(pdf)


def test_letter_from_the_same_data_is_the_same_bytes():
    assert visa_letter(letter_data()) == visa_letter(letter_data())


def test_letter_properties_carry_title_language_and_issue_date():
    reader = PdfReader(io.BytesIO(certificate(letter_data("de"))))
    assert reader.metadata.title == "Teilnahmebescheinigung"
    assert reader.metadata["/CreationDate"] == "D:20270420000000Z"
    assert reader.trailer["/Root"]["/Lang"] == "de"


# -- data -------------------------------------------------------------------------------------

@pytest.mark.parametrize("changes, problem", [
    ({"language": "ko"}, "language must be one of en, de, fr, pl, he, ja, zh, not 'ko'"),
    ({"full_name": "  "}, "full_name is empty"),
    ({"ends_on": date(2027, 7, 1)}, "ends_on is before starts_on"),
])
def test_letter_data_refuses_what_no_letter_can_use(changes, problem):
    with pytest.raises(LetterDataError) as refused:
        letter_data(**changes)
    assert str(refused.value) == problem


def test_country_name_follows_the_letter_language_and_refuses_unknown_codes():
    assert [country_name("PL", "en"), country_name("pl", "de"), country_name("IL", "de")] == [
        "Poland", "Polen", "Israel"]
    with pytest.raises(LetterDataError) as refused:
        country_name("XX", "en")
    assert str(refused.value) == "unknown country code 'XX'"


def test_preview_writes_every_sample_letter(tmp_path, capsys):
    assert preview([str(tmp_path / "letters")]) == 0
    written = sorted(path.name for path in (tmp_path / "letters").iterdir())
    assert written == sorted(f"{name}-{language}.pdf" for language in WRITTEN for name in
                             ("acceptance", "visa", "certificate", "acceptance-unplaced"))
    assert all(path.read_bytes().startswith(b"%PDF-") for path in (tmp_path / "letters").iterdir())
    assert len(capsys.readouterr().out.splitlines()) == 4 * len(WRITTEN)


def test_japanese_and_chinese_fonts_are_used_from_lean_copies_with_every_character():
    from ish_portal.letters.fonts import CJK_TABLES, fallback_faces

    faces = {face.family: face for face in fallback_faces("zh")}
    for family, package in (("NotoSansSC", "pylopdf_fonts_zh_cn"), ("NotoSansJP", "pylopdf_fonts_jp")):
        lean = ttLib.TTFont(faces[family].files[""], lazy=True)
        original = ttLib.TTFont(__import__(package).sans_path(), lazy=True)
        assert not any(tag in lean for tag in CJK_TABLES)
        assert lean.getBestCmap() == original.getBestCmap()
        lean.close()
        original.close()


def test_han_characters_are_drawn_the_japanese_way_in_japanese_text_and_the_chinese_way_elsewhere():
    from ish_portal.letters.fonts import fonts_for

    def families(language: str, text: str) -> list[str]:
        return [face.family for face in fonts_for(language, frozenset(map(ord, text)))]

    assert families("en", "Łukasz Олександра") == []
    assert families("en", "山田 太郎") == ["NotoSansSC"]
    assert families("ja", "山田 太郎") == ["NotoSansJP"]
    assert families("de", "山田 はなこ") == ["NotoSansJP"]          # kana: a Japanese name
    assert families("ja", "王晓明") == ["NotoSansJP", "NotoSansSC"]   # 晓 is not in the Japanese font
    assert families("he", "נועה כהן 王晓明") == ["NotoSansHebrew", "NotoSansSC"]


@pytest.mark.parametrize("tutor", ["Dr. Yael Levi", "ד\"ר יעל לוי", "王晓明"])
def test_text_after_a_table_value_in_another_script_keeps_its_size(tutor):
    # fpdf2 draws a line with a fallback face inside q ... Q; the paragraph after the table must
    # still be set in 10 pt, not in the table labels' 9 pt.
    sizes = []

    def visit(text, cm, tm, font, size):
        if "The programme begins" in text:
            sizes.append(round(size * tm[0], 2))
    for language in ("en", "he"):
        pdf = acceptance_letter(letter_data(language if language in WRITTEN else "en", tutor_name=tutor))
        PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    assert sizes and set(sizes) == {10.0}
