"""Backups: the database and every uploaded file in one archive, and restoring from one.

``flask backup create [FOLDER]`` writes ``riskapp-backup-<UTC time>.tar.gz`` (by default into
the instance folder's ``backups/``) while the app runs:

- SQLite through its online backup API: a consistent copy, taken while others write;
- PostgreSQL through ``pg_dump`` (custom format), one snapshot of the whole database;
- every uploaded file (questionnaire evidence, signed BAAs), kept by its SHA-256;
- ``manifest.json``: when, which database and schema revision, and the SHA-256 of each member.

``flask backup restore ARCHIVE`` checks the whole archive first (every checksum, no member
outside the archive's own folders, the same kind of database) and only then replaces the
database and puts back the files; it refuses a damaged or foreign archive without touching
anything. The instance's secret key is not in a backup: it is a secret, and a restore on a new
machine only signs everyone out.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import Engine, text

from riskapp.assessments.evidence import UPLOAD_FOLDER, upload_folder
from riskapp.audit import services as audit
from riskapp.database import db, utcnow

FORMAT = 1  # of the archive; a later riskapp that changes it still reads this one
MANIFEST = "manifest.json"
DATABASE_MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
BACKUP_FOLDER = "backups"


class BackupError(Exception):
    """A backup that cannot be made or restored, in words for the person running it."""


@dataclass(frozen=True)
class Restored:
    created_at: str
    database: str
    revision: str
    files: int


# --- making one -------------------------------------------------------------------------------


def create_backup(folder: Path | None = None) -> Path:
    """Write a backup archive into ``folder`` and return its path."""
    engine = db.engine
    dialect = _dialect(engine)
    folder = folder or Path(current_app.instance_path) / BACKUP_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    created = utcnow()
    target = folder / f"riskapp-backup-{created:%Y%m%d-%H%M%S}.tar.gz"
    with tempfile.TemporaryDirectory(prefix="riskapp-backup-") as scratch:
        dump = Path(scratch) / DATABASE_MEMBERS[dialect]
        _dump(engine, dialect, dump)
        members = {DATABASE_MEMBERS[dialect]: dump} | {
            f"{UPLOAD_FOLDER}/{path.relative_to(upload_folder()).as_posix()}": path
            for path in sorted(upload_folder().rglob("*")) if path.is_file()}
        manifest = {"format": FORMAT, "created_at": created.isoformat(), "database": dialect,
                    "revision": _revision(engine),
                    "members": {name: _sha256(path) for name, path in members.items()}}
        partial = target.with_suffix(".partial")
        with tarfile.open(partial, "w:gz") as archive:
            _add_bytes(archive, MANIFEST, json.dumps(manifest, indent=2).encode())
            for name, path in members.items():
                archive.add(path, arcname=name)
        partial.replace(target)  # a backup cut short never looks like a whole one
    audit.record("backup.created", actor=None, actor_label="riskapp",
                 summary=f"Backup {target.name}: the database and "
                         f"{len(members) - 1} uploaded file(s)")
    db.session.commit()
    return target


def _dump(engine: Engine, dialect: str, path: Path) -> None:
    if dialect == "sqlite":
        with _sqlite(engine) as live, sqlite3.connect(path) as copy:
            live.backup(copy)
        return
    _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
          f"--file={path}", f"--dbname={_libpq_url(engine)}"], engine, "pg_dump")


# --- restoring one ----------------------------------------------------------------------------


def restore_backup(archive_path: Path) -> Restored:
    """Replace the database and put back the uploaded files from ``archive_path``, after
    checking all of it. :raises BackupError: when the archive is damaged, is not a riskapp
    backup, or holds another kind of database; nothing has changed then."""
    engine = db.engine
    dialect = _dialect(engine)
    with tempfile.TemporaryDirectory(prefix="riskapp-restore-") as scratch:
        manifest = _unpack_checked(archive_path, Path(scratch))
        if manifest["database"] != dialect:
            raise BackupError(f"{archive_path.name} holds a {manifest['database']} database; "
                              f"this riskapp runs on {dialect}. Restore it into {dialect} by "
                              "exporting and importing the data instead.")
        db.session.remove()
        _load(engine, dialect, Path(scratch) / DATABASE_MEMBERS[dialect])
        engine.dispose()  # no pooled connection keeps a view of the old database
        files = _put_back_uploads(Path(scratch) / UPLOAD_FOLDER)
    audit.record("backup.restored", actor=None, actor_label="riskapp",
                 summary=f"Restored {archive_path.name}, made {manifest['created_at']}",
                 changes={"revision": manifest["revision"], "files": files})
    db.session.commit()
    return Restored(manifest["created_at"], dialect, manifest["revision"], files)


def _unpack_checked(archive_path: Path, into: Path) -> dict[str, Any]:
    """Unpack the archive into ``into`` and return its manifest, once every member is where
    it belongs and matches its checksum."""
    try:
        with tarfile.open(archive_path, "r:gz") as archive:
            for member in archive.getmembers():
                _refuse_strange(member, archive_path)
            archive.extractall(into, filter="data")
    except (tarfile.TarError, OSError, EOFError) as error:
        raise BackupError(f"{archive_path.name} cannot be read as a backup: {error}") from None
    try:
        manifest = json.loads((into / MANIFEST).read_text(encoding="utf-8"))
        members: dict[str, str] = manifest["members"]
        database = manifest["database"]
    except (OSError, ValueError, KeyError, TypeError):
        raise BackupError(f"{archive_path.name} is not a riskapp backup (no manifest).") from None
    if manifest.get("format") != FORMAT or database not in DATABASE_MEMBERS or \
            DATABASE_MEMBERS[database] not in members:
        raise BackupError(f"{archive_path.name} is a backup this riskapp cannot read.")
    extra = {p.relative_to(into).as_posix() for p in into.rglob("*") if p.is_file()} - \
        set(members) - {MANIFEST}
    if extra:
        raise BackupError(f"{archive_path.name} holds files its manifest does not list: "
                          f"{', '.join(sorted(extra)[:3])}")
    for name, digest in members.items():
        path = into / name
        if not path.is_file() or _sha256(path) != digest:
            raise BackupError(f"{archive_path.name} is damaged: {name} is missing or does not "
                              "match its checksum. Nothing was restored.")
    return manifest


def _refuse_strange(member: tarfile.TarInfo, archive_path: Path) -> None:
    parts = PurePosixPath(member.name).parts
    fits = member.name == MANIFEST or member.name in DATABASE_MEMBERS.values() or \
        (len(parts) > 1 and parts[0] == UPLOAD_FOLDER)
    if not (member.isfile() or member.isdir()) or member.name.startswith("/") or \
            ".." in parts or not fits:
        raise BackupError(f"{archive_path.name} holds {member.name!r}, which no riskapp "
                          "backup has. Nothing was restored.")


def _load(engine: Engine, dialect: str, path: Path) -> None:
    if dialect == "sqlite":
        with sqlite3.connect(path) as copy, _sqlite(engine) as live:
            copy.backup(live)
        return
    _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
          "--single-transaction", "--exit-on-error", f"--dbname={_libpq_url(engine)}",
          str(path)], engine, "pg_restore")


def _put_back_uploads(source: Path) -> int:
    """Copy the archive's uploads into place; files are named by their content, so one
    already there is the same file and is left as it is."""
    count = 0
    for path in sorted(source.rglob("*")) if source.is_dir() else ():
        if not path.is_file():
            continue
        target = upload_folder() / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            # Under a temporary name first: a restore cut short must not leave half a file
            # where later restores and uploads take the file as already there.
            temporary = target.with_name(f".{target.name}.{os.getpid()}")
            shutil.copyfile(path, temporary)
            temporary.replace(target)
        count += 1
    return count


# --- shared -----------------------------------------------------------------------------------


def _dialect(engine: Engine) -> str:
    name = engine.dialect.name
    if name not in DATABASE_MEMBERS:
        raise BackupError(f"riskapp cannot back up a {name} database.")
    return name


def _revision(engine: Engine) -> str:
    with engine.connect() as connection:
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar() or ""


@contextmanager
def _sqlite(engine: Engine) -> Iterator[sqlite3.Connection]:
    """A plain sqlite3 connection to the engine's database file (the backup API needs one)."""
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up or restore.")
    connection = sqlite3.connect(database, timeout=30)
    try:
        yield connection
    finally:
        connection.close()


def _libpq_url(engine: Engine) -> str:
    """The database URL as pg_dump reads it: no SQLAlchemy driver name and no password (that
    goes in the environment, not on a command line others can read)."""
    return engine.url.set(drivername="postgresql", password=None).render_as_string(
        hide_password=False)


def _run(command: list[str], engine: Engine, tool: str) -> None:
    env = os.environ | ({"PGPASSWORD": str(engine.url.password)} if engine.url.password else {})
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True,  # noqa: S603
                                timeout=3600, check=False)
    except FileNotFoundError:
        raise BackupError(f"{tool} is not installed: PostgreSQL backups need the PostgreSQL "
                          "client tools (Debian: postgresql-client).") from None
    if result.returncode != 0:
        raise BackupError(f"{tool} failed: {result.stderr.strip()[-500:]}")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _add_bytes(archive: tarfile.TarFile, name: str, content: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime = len(content), int(datetime.now().timestamp())
    archive.addfile(info, io.BytesIO(content))


# --- the command line -------------------------------------------------------------------------


backup_cli = AppGroup("backup", help="Back up and restore the database and uploaded files.")


@backup_cli.command("create")
@click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))
def create_command(folder: Path | None) -> None:
    """Write a backup archive into FOLDER (default: the instance folder's backups/)."""
    try:
        path = create_backup(folder)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backup written: {path}")


@backup_cli.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask before replacing the database.")
def restore_command(archive: Path, yes: bool) -> None:
    """Replace the database and put back the uploaded files from ARCHIVE."""
    if not yes:
        click.confirm(f"Replace this riskapp's database with the one in {archive.name}? "
                      "Everything written since that backup is lost", abort=True)
    try:
        restored = restore_backup(archive)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Restored the {restored.database} database of {restored.created_at} "
               f"(schema {restored.revision or 'unknown'}) and {restored.files} uploaded "
               "file(s). Run `flask db upgrade` if this riskapp is newer than the backup.")
