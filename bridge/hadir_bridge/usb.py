"""USB import of ``*_attlog.dat`` files carried from a machine (plain, or extended with serial and checksum)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from tqdm import tqdm

from hadir_bridge.adms import decode_body
from hadir_bridge.config import Config
from hadir_bridge.parsers import LineError, parse_usb_file
from hadir_bridge.spool import Counts, Spool

CHUNK = 2000


class UsbImportError(RuntimeError):
    """The file cannot be imported at all (wrong or unknown machine, unreadable); nothing was spooled."""


@dataclass(frozen=True)
class ImportResult:
    serial: str
    records: int
    counts: Counts
    checksum: str | None
    first_imported_at: str  # when this exact file was first imported (now, unless it was imported before)
    times_imported: int = 1


def import_usb(
    spool: Spool, config: Config, path: Path, serial: str | None, progress: bool = True, out: IO[str] | None = None
) -> ImportResult:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsbImportError(f'cannot read {path}: {exc.strerror}') from exc
    try:
        parsed = parse_usb_file(decode_body(data), serial, (machine.serial for machine in config.machines))
    except LineError as exc:
        raise UsbImportError(str(exc)) from exc
    machine_serial = serial or parsed.serial or ''
    if config.machine(machine_serial) is None:
        spool.record_unknown(machine_serial, f'usb {path.name}', None)
        raise UsbImportError(f'serial {machine_serial} is not a machine in {config.source or "the config"}')
    total = len(parsed.punches) + len(parsed.rejected)
    added = duplicates = 0
    bar: Iterable[int] = range(0, len(parsed.punches), CHUNK)
    with tqdm(total=total, unit='rec', desc=path.name, disable=not progress, file=out) as meter:
        for offset in bar:
            chunk = parsed.punches[offset : offset + CHUNK]
            counts = spool.ingest(serial=machine_serial, source='usb', table='attlog.dat', punches=chunk)
            added += counts.added
            duplicates += counts.duplicates
            meter.update(len(chunk))
        if parsed.rejected:
            spool.quarantine(machine_serial, 'usb', 'attlog.dat', parsed.rejected)
            meter.update(len(parsed.rejected))
    result = Counts(added=added, duplicates=duplicates, rejected=len(parsed.rejected))
    record = spool.record_import(
        hashlib.sha256(data).hexdigest(), str(path), machine_serial, parsed.checksum, total, result
    )
    return ImportResult(
        machine_serial, total, result, parsed.checksum, record['imported_at'], int(record['times_imported'])
    )
