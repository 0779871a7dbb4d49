import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from ish_portal.settings import Settings, describe_error


def test_settings_production_without_secret_key_is_refused():
    with pytest.raises(ValidationError) as caught:
        Settings(env="production", secret_key=None)
    assert describe_error(caught.value).startswith("ISH_SECRET_KEY is missing")


@pytest.mark.parametrize("key", ["changethis", "secret", "CHANGEME"])
def test_settings_production_with_placeholder_secret_key_is_refused(key):
    with pytest.raises(ValidationError) as caught:
        Settings(env="production", secret_key=key)
    assert describe_error(caught.value) == "ISH_SECRET_KEY is a known placeholder; set a random value"


def test_settings_production_with_short_secret_key_is_refused():
    with pytest.raises(ValidationError) as caught:
        Settings(env="production", secret_key="x" * 31)
    assert describe_error(caught.value) == "ISH_SECRET_KEY is too short; use at least 32 characters"


def test_settings_development_runs_without_secret_key():
    assert Settings(env="development", secret_key=None).secret_key.get_secret_value() != ""


def test_settings_unknown_time_zone_names_the_variable():
    with pytest.raises(ValidationError) as caught:
        Settings(env="development", time_zone="Europe/Heidelberg")
    assert describe_error(caught.value) == "ISH_TIME_ZONE: unknown time zone 'Europe/Heidelberg'"


def test_cli_wrong_setting_stops_with_one_clear_line(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("ISH_")}
    env.update(ISH_ENV="production", ISH_SECRET_KEY="changethis",
               ISH_DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}")
    result = subprocess.run([sys.executable, "-m", "ish_portal", "db", "upgrade"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr == "ish-portal: ISH_SECRET_KEY is a known placeholder; set a random value\n"
    assert not (tmp_path / "x.sqlite3").exists()


def test_cli_db_upgrade_creates_a_fresh_database(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("ISH_")}
    env.update(ISH_ENV="development", ISH_DATABASE_URL=f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    result = subprocess.run([sys.executable, "-m", "ish_portal", "db", "upgrade"], env=env,
                            capture_output=True, text=True, timeout=120)
    assert (result.returncode, result.stdout) == (0, "database is up to date\n")
    assert (tmp_path / "fresh.sqlite3").exists()
