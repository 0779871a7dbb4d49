from ish_portal.cli import app

app(prog_name="ish-portal")
