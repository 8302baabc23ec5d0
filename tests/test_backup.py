"""``flask backup``: one archive holds the database and every uploaded file, and restoring it
brings back exactly that state, or refuses without touching anything."""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from riskapp.assessments import evidence
from riskapp.audit.models import AuditEvent
from riskapp.audit.services import verify_chain
from riskapp.backup import BackupError, create_backup, restore_backup
from riskapp.database import db
from riskapp.vendors import services as vendors
from riskapp.vendors.models import Vendor

EVIDENCE = b"%PDF-1.4 the SOC 2 report the vendor uploaded"


def vendor_names() -> set[str]:
    return set(db.session.scalars(select(Vendor.name)))


def test_a_restore_brings_back_the_database_and_the_uploads_as_they_were(
        app: Flask, make_vendor: Callable[..., Vendor], tmp_path: Path) -> None:
    acme = make_vendor("Acme Mail")
    digest = evidence.keep(EVIDENCE)
    archive = create_backup(tmp_path / "backups")
    make_vendor("Bolt Billing")  # written after the backup: gone after the restore
    fields = vendors.VendorFields.of(acme)
    vendors.update_vendor(acme, fields.__class__(**(vars(fields) | {"name": "Acme Renamed"})),
                          actor=None)
    db.session.commit()
    evidence.stored_path(digest).unlink()

    restored = restore_backup(archive)

    assert vendor_names() == {"Acme Mail"}
    assert evidence.stored_path(digest).read_bytes() == EVIDENCE
    assert restored.files == 1
    assert verify_chain().intact
    assert db.session.scalar(select(AuditEvent.summary).where(
        AuditEvent.action == "backup.restored")).startswith(f"Restored {archive.name}")


def test_a_backup_is_one_archive_listing_each_member_with_its_checksum(
        app: Flask, make_vendor: Callable[..., Vendor], tmp_path: Path) -> None:
    make_vendor("Acme Mail")
    digest = evidence.keep(EVIDENCE)

    archive = create_backup(tmp_path)

    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
    assert archive.name.startswith("riskapp-backup-")
    assert archive.suffixes == [".tar", ".gz"]
    assert manifest["database"] == db.engine.dialect.name
    assert f"uploads/{digest[:2]}/{digest}" in manifest["members"]
    assert manifest["revision"]


def _rewritten(archive: Path, target: Path, change: Callable[[str, bytes], bytes | None],
               extra: tuple[str, bytes] | None = None) -> Path:
    """A copy of ``archive`` with each member's content passed through ``change``."""
    with tarfile.open(archive) as source, tarfile.open(target, "w:gz") as copy:
        for member in source.getmembers():
            content = source.extractfile(member).read() if member.isfile() else b""  # type: ignore[union-attr]
            changed = change(member.name, content)
            info = tarfile.TarInfo(member.name)
            info.size = len(changed or b"")
            copy.addfile(info, io.BytesIO(changed or b""))
        if extra:
            info = tarfile.TarInfo(extra[0])
            info.size = len(extra[1])
            copy.addfile(info, io.BytesIO(extra[1]))
    return target


@pytest.mark.parametrize("damage", ["tampered upload", "path outside the archive"])
def test_a_damaged_archive_is_refused_and_nothing_changes(
        app: Flask, make_vendor: Callable[..., Vendor], tmp_path: Path, damage: str) -> None:
    make_vendor("Acme Mail")
    evidence.keep(EVIDENCE)
    archive = create_backup(tmp_path)
    if damage == "tampered upload":
        bad = _rewritten(archive, tmp_path / "bad.tar.gz", lambda name, content:
                         content.replace(b"SOC 2", b"SOC 3") if name.startswith("uploads/")
                         else content)
    else:
        bad = _rewritten(archive, tmp_path / "bad.tar.gz", lambda name, content: content,
                         extra=("../../outside.txt", b"escaped"))
    make_vendor("Bolt Billing")

    with pytest.raises(BackupError, match="Nothing was restored"):
        restore_backup(bad)

    assert vendor_names() == {"Acme Mail", "Bolt Billing"}
    assert not (tmp_path.parent / "outside.txt").exists()


def test_a_file_that_is_no_backup_is_refused_in_words(app: Flask, tmp_path: Path) -> None:
    stranger = tmp_path / "holiday.tar.gz"
    stranger.write_bytes(b"not a tar at all")

    with pytest.raises(BackupError, match="cannot be read as a backup"):
        restore_backup(stranger)


def test_the_commands_back_up_and_restore_and_restore_asks_first(
        app: Flask, make_vendor: Callable[..., Vendor], tmp_path: Path) -> None:
    make_vendor("Acme Mail")
    runner = app.test_cli_runner()

    created = runner.invoke(args=["backup", "create", str(tmp_path)])
    archive = next(tmp_path.glob("riskapp-backup-*.tar.gz"))
    make_vendor("Bolt Billing")
    declined = runner.invoke(args=["backup", "restore", str(archive)], input="n\n")
    still = vendor_names()
    db.session.commit()  # as from a process of its own: no transaction of ours stays open
    restored = runner.invoke(args=["backup", "restore", str(archive), "--yes"])

    assert created.exit_code == 0, created.output
    assert f"Backup written: {archive}" in created.output
    assert declined.exit_code != 0
    assert still == {"Acme Mail", "Bolt Billing"}
    assert restored.exit_code == 0, restored.output
    assert "Restored the" in restored.output
    assert vendor_names() == {"Acme Mail"}
