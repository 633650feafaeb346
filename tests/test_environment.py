"""Broken environments: each gives one line saying what is wrong, never a traceback, and loses
nothing. A read-only store or directory, a store in a directory that is not there, a full
disk, a file that is not a store or not read models, a store or read models written by a
newer version; for show, operations, report, import, project, rebuild and record.

Read-only files are made by read-only bind mounts (root ignores permissions) and a full disk
by a small tmpfs: both need root, or a user allowed to mount. Outside CI a test that cannot
make its environment skips, saying so; in CI (CI=true) it fails."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from tests.conftest import AL_QAIM, ROOT, captured
from timeline.stores.recorder import STORE_VERSION

COMMANDS = {
    "show": ["show", "al-qaim-2017"],
    "operations": ["operations"],
    "report": ["report", "al-qaim-2017", "-o", "{out}/report.html"],
    "import": ["import", str(AL_QAIM)],
    "project": ["project"],
    "rebuild": ["rebuild"],
    "record": ["record", "operation_concluded", "--operation", "al-qaim-2017",
               "--occurred", "2017-11-20", "--source", "South Front:D3"],
}  # fmt: skip
QUESTIONS = {"show", "operations", "report"}


def timeline(db: Path | str, command: str, out: Path) -> subprocess.CompletedProcess[str]:
    """`timeline --db DB COMMAND` in a process of its own."""
    args = [arg.format(out=out) for arg in COMMANDS[command]]
    return subprocess.run(
        [sys.executable, "-m", "timeline.cli", "--db", str(db), *args],
        capture_output=True, text=True, cwd=ROOT,
        env={**os.environ, "TIMELINE_IMPORT_WORKERS": "0"},
    )  # fmt: skip


def one_line_error(done: subprocess.CompletedProcess[str], *said: str) -> None:
    """Exit code 1, and on stderr one line: `Error: ...` saying each of `said`."""
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("Error: "), done.stderr
    for words in said:
        assert words in lines[0], lines[0]


def fingerprint(*files: Path) -> dict[str, str]:
    """The bytes of each file (and whether its WAL is there), to say that nothing changed."""
    found = {}
    for file in files:
        found[file.name] = hashlib.sha256(file.read_bytes()).hexdigest() if file.exists() else ""
    return found


_MADE: list[Path] = []  # the al-Qaim store, made once by `timeline import`, then copied


def store_of_al_qaim(folder: Path) -> Path:
    """A store of the al-Qaim fixture and its read models, closed, in `folder`."""
    if not _MADE:
        made = Path(tempfile.mkdtemp(prefix="al-qaim-")) / "timeline.db"
        done = subprocess.run([sys.executable, "-m", "timeline.cli", "--db", str(made),
                               "import", str(AL_QAIM)], capture_output=True, cwd=ROOT,
                              check=True)  # fmt: skip
        assert b"8 new" in done.stdout
        _MADE.append(made)
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "timeline.db"
    for name in ("timeline.db", "timeline.views.db"):
        shutil.copy(_MADE[0].with_name(name), folder / name)
    return db


def cannot(what: str) -> None:
    message = f"cannot {what} (needs root or CAP_SYS_ADMIN)"
    if os.environ.get("CI"):
        pytest.fail(f"{message}: required in CI")
    pytest.skip(message)


@contextmanager
def mounted(*command: str) -> Iterator[None]:
    """Run a `mount` command, and unmount its target afterwards."""
    done = subprocess.run(["mount", *command], capture_output=True, text=True)
    if done.returncode != 0:
        cannot(f"mount {' '.join(command)}: {done.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["umount", command[-1]], check=True)


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """`path` (a file or a directory) read-only, even for root: a read-only bind mount."""
    with mounted("--bind", str(path), str(path)):
        remount = subprocess.run(["mount", "-o", "remount,ro,bind", str(path)],
                                 capture_output=True, text=True)  # fmt: skip
        if remount.returncode != 0:
            cannot(f"remount {path} read-only: {remount.stderr.strip()}")
        yield


# a read-only store or directory


@pytest.mark.parametrize("command", COMMANDS)
def test_a_read_only_directory_is_said_and_nothing_changes(tmp_path: Path, command: str) -> None:
    db = store_of_al_qaim(tmp_path / "shared")
    views = db.with_name("timeline.views.db")
    before = fingerprint(db, views)

    with read_only(db.parent):
        done = timeline(db, command, tmp_path)

    which = "read models" if command in QUESTIONS else "store"
    one_line_error(done, f"cannot open the {which}", f"its directory {db.parent} is read-only")
    assert fingerprint(db, views) == before


@pytest.mark.parametrize("command", COMMANDS)
def test_a_read_only_store_is_read_and_only_a_write_is_refused(
    tmp_path: Path, command: str
) -> None:
    db = store_of_al_qaim(tmp_path)
    before = fingerprint(db)

    with read_only(db):
        done = timeline(db, command, tmp_path)

    if command == "record":
        one_line_error(done, f"cannot write the store {db}: it is read-only; nothing was stored")
    else:  # questions, an import of what is there, projecting: nothing to write to the store
        assert done.returncode == 0, done.stderr
    assert fingerprint(db) == before


@pytest.mark.parametrize("command", COMMANDS)
def test_read_only_read_models_answer_and_refuse_a_write_before_it_is_stored(
    tmp_path: Path, command: str
) -> None:
    db = store_of_al_qaim(tmp_path)
    views = db.with_name("timeline.views.db")
    before = fingerprint(db, views)

    with read_only(views):
        done = timeline(db, command, tmp_path)

    if command in QUESTIONS:
        assert done.returncode == 0, done.stderr
    else:
        one_line_error(done, f"cannot write the read models {views}: it is read-only")
    assert fingerprint(db, views) == before


# a store in a directory that is not there


@pytest.mark.parametrize("command", COMMANDS)
def test_a_store_in_a_directory_that_is_not_there_is_said_and_nothing_is_made(
    tmp_path: Path, command: str
) -> None:
    db = tmp_path / "not-there" / "timeline.db"

    done = timeline(db, command, tmp_path)

    if command in QUESTIONS:
        one_line_error(done, f"no store at {db}")
    else:
        one_line_error(done, f"cannot open the store {db}: there is no directory {db.parent}")
    assert not db.parent.exists()


def test_read_models_in_a_directory_that_is_not_there_are_said(tmp_path: Path) -> None:
    db = store_of_al_qaim(tmp_path)
    views = tmp_path / "not-there" / "v.db"

    done = subprocess.run([sys.executable, "-m", "timeline.cli", "--db", str(db), "--views",
                           str(views), "project"], capture_output=True, text=True, cwd=ROOT)

    one_line_error(done, f"the read models {views}", f"there is no directory {views.parent}")
    assert not views.parent.exists()


# a file that is not a store, or not read models


@pytest.mark.parametrize("command", COMMANDS)
def test_random_bytes_as_the_store_are_said_and_left_as_they_are(
    tmp_path: Path, command: str
) -> None:
    db = tmp_path / "timeline.db"
    db.write_bytes(os.urandom(100_000))
    before = fingerprint(db)

    done = timeline(db, command, tmp_path)

    one_line_error(done, f"cannot open the store {db}: it is not an SQLite database")
    assert fingerprint(db) == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["timeline.db"]


@pytest.mark.parametrize("command", COMMANDS)
def test_random_bytes_as_the_read_models_are_said_and_nothing_is_stored(
    tmp_path: Path, command: str
) -> None:
    db = store_of_al_qaim(tmp_path)
    views = db.with_name("timeline.views.db")
    views.write_bytes(os.urandom(100_000))
    before = fingerprint(db, views)

    done = timeline(db, command, tmp_path)

    one_line_error(done, f"the read models {views}: it is not an SQLite database")
    assert fingerprint(db, views) == before


def test_another_database_given_as_the_store_is_refused_untouched(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    _sql(other, "CREATE TABLE people (name TEXT)")
    db = store_of_al_qaim(tmp_path / "store")
    before = fingerprint(other)

    for wrong, said in ((other, "not an ops-timeline store (its tables: people)"),
                        (db.with_name("timeline.views.db"), "holds read models")):  # fmt: skip
        done = timeline(wrong, "record", tmp_path)

        one_line_error(done, said)
    assert fingerprint(other) == before


def test_a_store_given_as_the_read_models_is_refused_untouched(tmp_path: Path) -> None:
    db = store_of_al_qaim(tmp_path)
    before = fingerprint(db)

    done = subprocess.run([sys.executable, "-m", "timeline.cli", "--db", str(db), "--views",
                           str(db), "show", "al-qaim-2017"], capture_output=True, text=True,
                          cwd=ROOT)  # fmt: skip

    one_line_error(done, f"{db} is an event store, not read models")
    assert fingerprint(db) == before


# a store or read models written by a newer version


def _sql(path: Path, *statements: str) -> list[tuple[object, ...]]:
    """Run statements on a file as another program would, closing it after (the last
    connection to close writes its WAL into the file)."""
    with closing(sqlite3.connect(path, isolation_level=None)) as connection:
        return [row for statement in statements for row in connection.execute(statement)]


def _stamp(path: Path, version: int) -> None:
    _sql(path, f"PRAGMA user_version = {version}")


def test_a_store_records_its_version_and_what_it_is(tmp_path: Path) -> None:
    db = store_of_al_qaim(tmp_path)

    assert _sql(db, "PRAGMA application_id", "PRAGMA user_version") == [
        (0x4F545354,), (STORE_VERSION,),
    ]  # fmt: skip
    assert _sql(db.with_name("timeline.views.db"), "PRAGMA application_id") == [(0x4F545657,)]


def test_a_store_made_before_versions_were_recorded_is_migrated_as_version_1(
    tmp_path: Path,
) -> None:
    db = store_of_al_qaim(tmp_path)
    _sql(db, "PRAGMA application_id = 0", "PRAGMA user_version = 0")

    assert timeline(db, "record", tmp_path).returncode == 0

    assert _sql(db, "PRAGMA application_id", "PRAGMA user_version") == [
        (0x4F545354,), (STORE_VERSION,),
    ]  # fmt: skip


def test_read_models_of_an_earlier_layout_are_made_anew_and_say_so_until_projected(
    tmp_path: Path,
) -> None:
    db = store_of_al_qaim(tmp_path)
    views = db.with_name("timeline.views.db")
    for stale in tmp_path.glob("timeline.views.db*"):
        stale.unlink()
    shutil.copy(ROOT / "tests" / "fixtures" / "views-v8" / "timeline.views.db", views)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "timeline.cli", "--db", str(db), *args],
                              capture_output=True, text=True, cwd=ROOT)  # fmt: skip

    asked = cli("show", "al-qaim-2017")
    checked = cli("doctor")
    projected = cli("project")

    one_line_error(asked, "the read models were made anew", "run `timeline project`")
    assert "warn stale marks: made anew" in checked.stdout
    assert projected.returncode == 0, projected.stderr
    assert "al-qaim-2017/town-entered" in cli("show", "al-qaim-2017").stdout
    history = cli("history", "al-qaim-2017/town-entered", "--format", "json")
    assert json.loads(history.stdout)[0]["record"]["type"] == "place_entered"
    assert "ok   stale marks: none" in cli("doctor").stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_a_store_of_a_newer_version_is_neither_read_nor_written(
    tmp_path: Path, command: str
) -> None:
    db = store_of_al_qaim(tmp_path)
    _stamp(db, 99)
    before = fingerprint(db)

    done = timeline(db, command, tmp_path)

    if command in QUESTIONS:  # they read the read models, which this version made
        assert done.returncode == 0, done.stderr
    else:
        one_line_error(done, "was written by a newer version of ops-timeline (store version 99;")
    assert fingerprint(db) == before


@pytest.mark.parametrize("command", COMMANDS)
def test_read_models_of_a_newer_version_are_refused_but_rebuilt_when_asked(
    tmp_path: Path, command: str
) -> None:
    db = store_of_al_qaim(tmp_path)
    views = db.with_name("timeline.views.db")
    _stamp(views, 99)
    before = fingerprint(db, views)

    done = timeline(db, command, tmp_path)

    if command == "rebuild":
        assert done.returncode == 0, done.stderr
        assert timeline(db, "show", tmp_path).returncode == 0
        return
    one_line_error(done, "were made by a newer version of ops-timeline (layout 99;")
    assert fingerprint(db, views) == before


# a full disk


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB file system (tmpfs), mounted for the test."""
    disk = tmp_path / "disk"
    disk.mkdir()
    with mounted("-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)):
        yield disk


def _fill(disk: Path) -> list[Path]:
    """Fill the disk with files of 4 KiB (a page each), and return them."""
    fillers: list[Path] = []
    while True:
        filler = disk / f"filler-{len(fillers):05d}"
        try:
            filler.write_bytes(b"x" * 4096)
        except OSError:
            filler.unlink(missing_ok=True)
            return fillers
        fillers.append(filler)


def _dump(db: Path, tables: list[str]) -> dict[str, list[tuple[object, ...]]]:
    return {table: _sql(db, f"SELECT * FROM [{table}] ORDER BY 1, 2") for table in tables}


VIEW_TABLES = ["events", "actors", "sources", "history", "places", "place_names", "control",
               "forces", "operations"]  # fmt: skip


def test_records_on_a_filling_disk_keep_the_store_whole_and_project_catches_up(
    small_disk: Path, tmp_path: Path
) -> None:
    """Space is freed a page at a time under records that fill the disk: each either stores
    nothing, or stores its event and says the read models could not take it; the store stays
    whole, the read models consistent, and `project` finishes once there is space."""
    db = store_of_al_qaim(small_disk)
    fillers = _fill(small_disk)
    outcomes: dict[str, int] = {"refused": 0, "stored, not projected": 0, "done": 0}
    expected: list[str] = []

    for n in range(60):
        if not fillers:
            break
        fillers.pop().unlink()  # one more page free
        record = captured(f"al-qaim-2017/entered-{n}", operation="al-qaim-2017",
                          place="al-Qaim", type="place_entered", notes=f"note {n}")  # fmt: skip
        done = subprocess.run(
            [sys.executable, "-m", "timeline.cli", "--db", str(db), "import", "-"],
            input=json.dumps(record) + "\n", capture_output=True, text=True, cwd=ROOT,
        )  # fmt: skip
        if done.returncode == 0:
            outcomes["done"] += 1
            expected.append(record["id"])
            continue
        one_line_error(done)
        if "the events are stored" in done.stderr:
            assert "the read models were not brought up to date" in done.stderr
            assert "the disk is full" in done.stderr
            assert "run `timeline project`" in done.stderr
            outcomes["stored, not projected"] += 1
            expected.append(record["id"])
        else:
            assert "the disk is full" in done.stderr, done.stderr
            outcomes["refused"] += 1
    for filler in fillers:
        filler.unlink()
    assert _sql(db, "PRAGMA integrity_check") == [("ok",)]

    assert outcomes["stored, not projected"] > 0, outcomes
    log = subprocess.run([sys.executable, "-m", "timeline.cli", "--db", str(db), "log",
                          "--json"], capture_output=True, text=True, cwd=ROOT, check=True)
    ids = [json.loads(line)["id"] for line in log.stdout.splitlines()[:-1]]  # [-1]: heads
    assert ids[8:] == expected  # every event said to be stored is, in order; no other
    assert timeline(db, "project", tmp_path).returncode == 0
    copy = tmp_path / "copy" / "timeline.db"
    copy.parent.mkdir()
    shutil.copy(db, copy)
    assert timeline(copy, "rebuild", tmp_path).returncode == 0
    views = db.with_name("timeline.views.db")
    assert _dump(views, VIEW_TABLES) == _dump(copy.with_name("timeline.views.db"), VIEW_TABLES)


@pytest.mark.parametrize("command", ["import", "rebuild", "show", "report"])
def test_a_full_disk_is_said_in_one_line_and_loses_nothing(
    small_disk: Path, tmp_path: Path, command: str
) -> None:
    db = store_of_al_qaim(small_disk)
    big = tmp_path / "big.jsonl"
    big.write_text("".join(json.dumps(captured(f"al-qaim-2017/e-{n}", operation="al-qaim-2017",
                                               place="al-Qaim", notes="x" * 2000)) + "\n"
                           for n in range(1000)))  # fmt: skip
    fillers = _fill(small_disk)
    store_before = fingerprint(db)

    if command == "import":
        done = subprocess.run([sys.executable, "-m", "timeline.cli", "--db", str(db), "import",
                               str(big)], capture_output=True, text=True, cwd=ROOT)
    else:
        done = timeline(db, command, small_disk if command == "report" else tmp_path)

    if done.returncode != 0:
        one_line_error(done, "the disk is full")
    for filler in fillers:
        filler.unlink()
    assert fingerprint(db) == store_before
    assert _sql(db, "PRAGMA integrity_check") == [("ok",)]
    assert timeline(db, "project", tmp_path).returncode == 0  # the read models were kept whole
