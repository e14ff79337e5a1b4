"""The ``hadir-bridge`` command: run, doctor, import-usb, upload, status."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from hadir_bridge import __version__
from hadir_bridge.cloud import CloudError, HttpCloudClient
from hadir_bridge.config import Config, ConfigError, load_config
from hadir_bridge.doctor import run_doctor
from hadir_bridge.report import format_quarantine, format_status, status_data
from hadir_bridge.runner import Bridge
from hadir_bridge.spool import Spool
from hadir_bridge.uploader import Uploader
from hadir_bridge.usb import UsbImportError, import_usb

DEFAULT_CONFIG = '/etc/hadir-bridge/config.toml'


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='hadir-bridge', description='Hadir on-premise bridge for attendance machines')
    parser.add_argument('--version', action='version', version=f'hadir-bridge {__version__}')
    parser.add_argument(
        '-c',
        '--config',
        type=Path,
        default=Path(os.environ.get('HADIR_BRIDGE_CONFIG', DEFAULT_CONFIG)),
        help=f'TOML config (default $HADIR_BRIDGE_CONFIG or {DEFAULT_CONFIG})',
    )
    parser.add_argument('-v', '--verbose', action='store_true')
    commands = parser.add_subparsers(dest='command', required=True)
    commands.add_parser('run', help='receive (ADMS push), pull (TCP), upload, heartbeat and backfill until stopped')
    commands.add_parser('doctor', help="check the config, the spool, the cloud and each machine's reachability")
    usb = commands.add_parser('import-usb', help='import a *_attlog.dat file carried from a machine')
    usb.add_argument('file', type=Path)
    usb.add_argument('--serial', help="the machine's serial (required unless the file's first line states it)")
    usb.add_argument('--no-progress', action='store_true')
    commands.add_parser('upload', help='upload everything unsent now, then exit')
    status = commands.add_parser('status', help='the spool, each machine, the latest deliveries and uploads')
    status.add_argument('--json', action='store_true', help='print JSON for scripts')
    quarantine = commands.add_parser('quarantine', help='lines that did not parse, with their reasons')
    quarantine.add_argument('--limit', type=int, default=100)
    quarantine.add_argument('--json', action='store_true', help='print JSON for scripts')
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format='%(asctime)s %(levelname)s %(name)s %(message)s'
    )
    if args.command == 'doctor':
        findings = run_doctor(args.config)
        for finding in findings:
            print(finding)
        return 1 if any(finding.level == 'error' for finding in findings) else 0
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f'hadir-bridge: {exc}', file=sys.stderr)
        return 2
    spool = Spool(config.spool)
    try:
        if args.command == 'import-usb':
            return _import_usb(spool, config, args)
        if args.command == 'status':
            data = status_data(spool, config)
            print(json.dumps(data, indent=2) if args.json else format_status(data, str(config.spool)))
            return 0
        if args.command == 'quarantine':
            items = spool.quarantined(args.limit)
            print(json.dumps(items, indent=2) if args.json else format_quarantine(items))
            return 0
        cloud = HttpCloudClient(config.cloud_url, config.read_key())
        if args.command == 'upload':
            try:
                done = Uploader(spool, cloud, config.batch_max_records, config.upload_body_version).drain()
            except CloudError as exc:
                print(f'hadir-bridge: upload stopped: {exc} (records stay spooled)', file=sys.stderr)
                return 1
            print(f'uploaded {sum(item.record_count for item in done)} record(s) in {len(done)} batch(es)')
            return 0
        return _run(config, spool, cloud)
    except ConfigError as exc:
        print(f'hadir-bridge: {exc}', file=sys.stderr)
        return 2
    finally:
        spool.close()


def _import_usb(spool: Spool, config: Config, args: argparse.Namespace) -> int:
    try:
        result = import_usb(spool, config, args.file, args.serial, progress=not args.no_progress)
    except UsbImportError as exc:
        print(f'hadir-bridge: {exc}', file=sys.stderr)
        return 1
    counts = result.counts
    print(
        f'{args.file}: machine {result.serial}, {result.records} line(s): {counts.added} new,'
        f' {counts.duplicates} already spooled, {counts.rejected} quarantined'
    )
    if result.times_imported > 1:
        print(f"this file was first imported at {result.first_imported_at}; that import's record is kept")
    return 0


def _run(config: Config, spool: Spool, cloud: HttpCloudClient) -> int:
    bridge = Bridge(config, spool, cloud)
    stopped = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stopped.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    bridge.start()
    stopped.wait()
    bridge.stop()
    return 0


if __name__ == '__main__':  # pragma: no cover
    sys.exit(main())
