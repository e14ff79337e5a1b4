"""``status`` and ``quarantine`` as a person reads them (``--json`` gives scripts the same data)."""

from __future__ import annotations

from typing import Any

from hadir_bridge.config import Config
from hadir_bridge.spool import Spool


def status_data(spool: Spool, config: Config) -> dict[str, Any]:
    machines = []
    for machine in config.machines:
        state = spool.machine_state(machine.serial)
        last = spool.last_punch(machine.serial)
        machines.append(
            {
                'serial': machine.serial,
                'name': machine.name,
                'protocol': machine.protocol,
                'zone': machine.zone,
                'last_contact': state.get('last_contact'),
                'clock_skew_seconds': state.get('skew_seconds'),
                'clock_skew_source': state.get('skew_source'),
                'punches_spooled': spool.punch_count(machine.serial),
                'last_punch_time': last['local_time'] if last else None,
                'last_error': state.get('last_error'),
            }
        )
    return {
        'spool': spool.stats(),
        'machines': machines,
        'intakes': spool.intakes(10),
        'batches': spool.batches()[-10:],
    }


def format_status(data: dict[str, Any], spool_path: str) -> str:
    stats = data['spool']
    out = [
        f'Spool {spool_path}',
        f'  punches: {stats["punches_unsent"]} waiting to upload, {stats["punches_sent"]} uploaded'
        + (
            f' (oldest waiting since {stats["oldest_unsent_received_at"]})'
            if stats['oldest_unsent_received_at']
            else ''
        ),
        f'  machine events: {stats["events_unsent"]} waiting, {stats["events_sent"]} uploaded',
        f'  batches being uploaded: {stats["batches_pending"]}',
        f'  quarantined lines: {stats["quarantined"]}'
        + ('  (see: hadir-bridge quarantine)' if stats['quarantined'] else ''),
    ]
    if stats['unknown_devices']:
        out.append(f'  machines not in the config that tried to connect: {", ".join(stats["unknown_devices"])}')
    out.append('Machines')
    for machine in data['machines']:
        skew = machine['clock_skew_seconds']
        details = [
            f'last contact {machine["last_contact"] or "never"}',
            f'{machine["punches_spooled"]} punch(es), last {machine["last_punch_time"] or "none"}',
        ]
        if skew is not None:
            details.append(f'clock {skew:+.0f} s ({machine["clock_skew_source"]})')
        if machine['last_error']:
            details.append(f'last error: {machine["last_error"]}')
        out.append(
            f'  {machine["serial"]} {machine["name"]} ({machine["protocol"]}, {machine["zone"]}): ' + '; '.join(details)
        )
    out.append('Latest deliveries')
    if not data['intakes']:
        out.append('  none yet')
    for item in data['intakes']:
        out.append(
            f'  {item["at"]} {item["serial"] or "-"} {item["source"]} {item["table_name"]}: {item["lines"]} line(s):'
            f' {item["added"]} new, {item["duplicates"]} duplicate, {item["quarantined"]} quarantined,'
            f' {item["skipped"]} not kept'
        )
    out.append('Latest upload batches')
    if not data['batches']:
        out.append('  none yet')
    for batch in data['batches']:
        when = batch['sent_at'] or f'pending, {batch["attempts"]} attempt(s)'
        error = f'; last error: {batch["last_error"]}' if batch['last_error'] else ''
        out.append(f'  {batch["batch_id"]} {batch["record_count"]} record(s), {batch["state"]} {when}{error}')
    return '\n'.join(out)


def format_quarantine(items: list[dict[str, Any]]) -> str:
    if not items:
        return 'No quarantined lines: every line received was a punch, a duplicate or deliberately not kept.'
    out = [f'{len(items)} quarantined line(s), kept as received:']
    for item in items:
        out.append(
            f'- {item["serial"] or "?"} {item["source"]} {item["table_name"]} line {item["line_no"]},'
            f' seen {item["times_seen"]}x (first {item["first_seen"]}, last {item["last_seen"]})'
        )
        out.append(f'    why: {item["reason"]}')
        out.append(f'    raw: {item["raw"]!r}')
    return '\n'.join(out)
