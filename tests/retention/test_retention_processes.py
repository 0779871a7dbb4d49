"""The purge in real processes: two of them starting it at the same moment purge once (on SQLite
and, with ISH_TEST_DATABASE_URL, on PostgreSQL), the nightly claim lets one of them run, and the
command line's dry run prints the counts and exits 0."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from sqlalchemy import func
from sqlmodel import select

from ish_portal.audit.models import AuditEvent
from ish_portal.nominations.models import Nomination
from ish_portal.notifications.models import OutboxMessage
from ish_portal.retention.models import RetentionRun
from tests.conftest import fresh
from tests.retention.test_retention import _full

# Waits for the go file, so that both processes start the purge at the same moment.
SCRIPT = """
import sys, time
from pathlib import Path
from sqlmodel import Session
import ish_portal.areas
from ish_portal.db import make_engine
from ish_portal.retention import service
engine = make_engine(sys.argv[3])
with engine.connect():
    pass
print("ready", flush=True)
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.002)
with Session(engine) as session:
    outcome = service.run_nightly(session) if sys.argv[1] == "nightly" else service.run(session)
    print("ran" if outcome.ran else "skipped", len(outcome.entries), flush=True)
"""


def _env(database_url: str, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ISH_")}
    return env | {"ISH_ENV": "development", "ISH_DATABASE_URL": database_url, "ISH_MAIL_DIR": str(tmp_path / "mail"),
                  "ISH_BASE_URL": "http://testserver"}


def _due_data(db, make):
    """An edition that ended in August 2025: by now every class of its data is due."""
    organisation = make.organisation(db)
    past = make.edition(db, year=2025, title="ISH 2025", starts_on=date(2025, 7, 14), ends_on=date(2025, 8, 9))
    make.organiser(db, email="ada@ish.example")
    return [_full(make, db, past, organisation, email=f"p{i}@example.org") for i in range(3)]


def _race(mode: str, database_url: str, tmp_path: Path) -> list[str]:
    go = tmp_path / f"go-{mode}"
    processes = [subprocess.Popen([sys.executable, "-c", SCRIPT, mode, str(go), database_url],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  env=_env(database_url, tmp_path)) for _ in range(2)]
    for process in processes:
        assert process.stdout.readline().strip() == "ready", process.stderr.read()
    go.touch()
    results = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        results.append(out.strip())
    return sorted(results)


def _purge_events(db) -> list[tuple[int, str]]:
    return sorted((e.edition_id, e.changes["class"]) for e in fresh(db).exec(
        select(AuditEvent).where(AuditEvent.action == "retention_purged")))


def test_two_processes_starting_the_purge_at_once_purge_once(db, make, database_url, tmp_path):
    participants = _due_data(db, make)
    results = _race("run", database_url, tmp_path)
    assert results == ["ran 0", "ran 5"]  # the second waited for the first, then found nothing due
    edition_id = participants[0].edition_id
    assert _purge_events(db) == sorted((edition_id, key) for key in
                                       ("medical", "passport", "documents", "contacts", "review"))
    assert fresh(db).exec(select(func.count()).select_from(OutboxMessage)
                          .where(OutboxMessage.kind == "retention_summary")).one() == 1
    assert {n.medical_notes for n in fresh(db).exec(select(Nomination))} == {""}


def test_two_processes_starting_the_nightly_run_at_once_run_it_once(db, make, database_url, tmp_path):
    _due_data(db, make)
    results = _race("nightly", database_url, tmp_path)
    assert results == ["ran 5", "skipped 0"]
    assert len(fresh(db).exec(select(RetentionRun)).all()) == 1
    assert len(_purge_events(db)) == 5
    assert fresh(db).exec(select(func.count()).select_from(OutboxMessage)
                          .where(OutboxMessage.kind == "retention_summary")).one() == 1


def test_command_line_dry_run_prints_the_counts_and_changes_nothing(db, make, database_url, tmp_path):
    _due_data(db, make)
    command = Path(sys.executable).parent / "ish-portal"
    result = subprocess.run([str(command), "retention", "run", "--dry-run"], capture_output=True, text=True,
                            env=_env(database_url, tmp_path), timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "edition\tclass\tcandidates due (dry run, nothing changed)"
    assert lines[1:] == [f"ISH 2025\t{key}\t3" for key in ("medical", "passport", "documents", "contacts", "review")]
    assert {n.medical_notes for n in fresh(db).exec(select(Nomination))} == {"asthma, carries an inhaler"}
    assert _purge_events(db) == []
