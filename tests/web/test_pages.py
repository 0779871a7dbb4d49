"""What every page shares: security headers, friendly error pages, languages, the upload cap."""

import re

from fastapi import FastAPI

from tests.conftest import csrf_of, post_form


def test_pages_carry_the_security_headers(client):
    response = client.get("/login")
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"


def test_pages_have_no_inline_script_or_style(client):
    html = client.get("/login").text
    assert re.findall(r"<script(?![^>]*\bsrc=\"/static/)", html) == []  # only the site's own files
    assert "style=" not in html


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert response.headers["content-security-policy"]


def test_unexpected_error_is_a_friendly_500(settings, engine):
    from fastapi.testclient import TestClient

    from ish_portal.main import create_app
    app: FastAPI = create_app(settings)

    @app.get("/boom")
    def boom():
        raise RuntimeError("kaputt")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert "Something went wrong" in response.text
    assert "kaputt" not in response.text


def test_oversized_body_declared_up_front_is_refused_before_it_is_read(client, settings):
    too_big = b"x" * (settings.upload_max_mb * 1024 * 1024 + 300 * 1024)
    response = client.post("/login", content=too_big, headers={"content-type": "application/octet-stream"})
    assert response.status_code == 413
    assert "The upload is too large" in response.text


def test_oversized_upload_streamed_in_is_cut_off(client, settings):
    token = csrf_of(client.get("/login").text)
    boundary = "xyzBOUNDARY"
    chunk = b"%PDF" + b"0" * (1024 * 1024)
    sent = 0

    def body():
        # No Content-Length: the server only learns the size while the bytes arrive.
        nonlocal sent
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"
               f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.pdf\"\r\n"
               f"Content-Type: application/pdf\r\n\r\n").encode()
        for _ in range(settings.upload_max_mb + 5):
            sent += 1
            yield chunk
        yield f"\r\n--{boundary}--\r\n".encode()

    response = client.post("/login", content=body(),
                           headers={"content-type": f"multipart/form-data; boundary={boundary}"})
    assert response.status_code == 413
    assert "The upload is too large" in response.text


def test_language_switch_is_remembered_on_every_page(client):
    assert "Sign in" in client.get("/login").text
    post_form(client, "/login", "/language", {"language": "de", "next": "/login"})
    page = client.get("/login")
    assert '<html lang="de" dir="ltr">' in page.text
    assert "Anmelden" in page.text
    assert '<html lang="de" dir="ltr">' in client.get("/access").text


def test_browser_language_is_the_default(client):
    page = client.get("/login", headers={"accept-language": "de-DE,de;q=0.9,en;q=0.5"})
    assert '<html lang="de" dir="ltr">' in page.text


def test_forms_label_every_field(client):
    html = client.get("/login").text
    for field in ("email", "password"):
        assert f'<label for="f-{field}">' in html
        assert f'id="f-{field}"' in html
