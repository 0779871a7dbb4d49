"""Names as people write them: family name first for Chinese and Japanese names (or whenever the
coordinator says so), in lists, emails and letters; the passport name stays as the passport has it."""

from ish_portal.text.names import FAMILY_FIRST, GIVEN_FIRST, addressed_name, usual_order, written_name
from tests.nominations.test_nominate import create, signed_in, the_nomination, world  # noqa: F401


def test_the_script_suggests_the_order():
    assert usual_order("陽翔", "中村") == FAMILY_FIRST
    assert usual_order("はると", "なかむら") == FAMILY_FIRST
    assert usual_order("Noémie", "Laurent") == GIVEN_FIRST
    assert usual_order("נועה", "כהן") == GIVEN_FIRST


def test_a_name_is_written_in_its_order():
    assert written_name("陽翔", "中村", FAMILY_FIRST) == "中村陽翔"
    assert written_name("Haruto", "Nakamura", FAMILY_FIRST) == "Nakamura Haruto"
    assert written_name("Noémie", "Laurent", GIVEN_FIRST) == "Noémie Laurent"
    assert written_name("נועה", "כהן") == "נועה כהן"
    assert addressed_name("Noémie", "Laurent") == "Noémie"
    assert addressed_name("陽翔", "中村") == "中村陽翔"  # "中村陽翔 様", never the given name alone


def test_the_coordinator_confirms_a_latin_name_family_first(signed_in, db):
    create(signed_in, given_name="Haruto", family_name="Nakamura", name_order="family_first")
    nomination = the_nomination(db)
    assert nomination.name_order == FAMILY_FIRST
    assert nomination.display_name == "Nakamura Haruto"
    assert "Nakamura Haruto" in signed_in.get("/coordinator").text


def test_without_a_choice_the_script_decides(signed_in, db):
    create(signed_in)  # 春斗 中村, order not chosen
    assert the_nomination(db).name_order == FAMILY_FIRST
    assert "中村春斗" in signed_in.get("/coordinator").text


def test_an_unknown_order_is_refused_with_the_field_named(signed_in, db):
    response = create(signed_in, name_order="sideways")
    assert response.status_code == 400
    assert "Choose which part of the name comes first." in response.text
