"""`hadir`: run the whole system locally on the embedded AWS, and operate it.

hadir run [--api-port 8000] [--aws-port 4566]   start moto + API + scheduler, seed on first start
hadir reset                                     forget the local state
hadir job NAME [--date YYYY-MM-DD] [--full] [--force]  run a scheduled function now
hadir audit verify                              check the audit hash chain
hadir keys create --role ROLE [--opd ID]        issue an API key
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from hadir_local import env

SNAPSHOT_EVERY_SECONDS = 10


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='hadir', description='Hadir local tools')
    sub = parser.add_subparsers(dest='command', required=True)
    run = sub.add_parser('run', help='start the whole system locally')
    run.add_argument('--api-port', type=int, default=8000)
    run.add_argument('--aws-port', type=int, default=4566)
    run.add_argument('--no-history', action='store_true', help="seed the demo without its past (last month's days)")
    sub.add_parser('reset', help='forget the local state')
    # Listing the jobs imports the app, which reads its settings: only for the help, which exits right after.
    listing = _jobs_epilog() if _asks_job_help(sys.argv[1:] if argv is None else argv) else None
    job = sub.add_parser(
        'job', help='run a scheduled function now', epilog=listing, formatter_class=argparse.RawTextHelpFormatter
    )
    job.add_argument('name', help='one of the jobs listed below')
    job.add_argument('--date', help='business date YYYY-MM-DD, for jobs that take one')
    job.add_argument('--full', action='store_true', help='reconcile: list every upload, not only the recent ones')
    job.add_argument('--force', action='store_true', help='close-day: close a --date that is not over yet')
    audit = sub.add_parser('audit', help='audit log tools')
    audit.add_argument('action', choices=['verify'])
    key = sub.add_parser('keys', help='API keys')
    key.add_argument('action', choices=['create'])
    key.add_argument('--role', required=True, choices=['super', 'opd_admin', 'auditor', 'finance'])
    key.add_argument('--opd')
    key.add_argument('--name', default='created by the hadir CLI')
    args = parser.parse_args(argv)
    if args.command == 'run':
        code = run_local(args.api_port, args.aws_port, history=not args.no_history)
        # The state is saved; threads of the embedded servers still serving a request must not keep a stopped
        # stack alive (a SIGTERM is followed by SIGKILL when it does not end in time).
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    if args.command == 'reset':
        return reset()
    if not _attach():
        return 2
    if args.command == 'job':
        return run_job(args.name, args.date, full=args.full, force=args.force)
    if args.command == 'audit':
        return verify_audit()
    return create_key(args.role, args.opd, args.name)


def _asks_job_help(argv: list[str]) -> bool:
    return argv[:1] == ['job'] and ('-h' in argv or '--help' in argv)


def _jobs_epilog() -> str:
    from chalicelib.events.jobs import JOBS

    return 'jobs:\n' + '\n'.join(f'  {job.name:<18} {job.description}' for job in JOBS.values())


def _attach() -> bool:
    runtime = env.read_runtime()
    if runtime is None:
        print('the local stack is not running: start it with `make run` first', file=sys.stderr)
        return False
    env.configure(runtime.aws_port, runtime.api_port)
    return True


def reset() -> int:
    runtime = env.read_runtime()
    if runtime is not None:
        print(f'the local stack is running (pid {runtime.pid}); stop it first', file=sys.stderr)
        return 2
    shutil.rmtree(env.LOCAL_DIR, ignore_errors=True)
    print(f'removed {env.LOCAL_DIR}/: the next `make run` starts from a fresh demo pemda')
    return 0


def run_job(name: str, date: str | None, *, full: bool = False, force: bool = False) -> int:
    from chalicelib.domain.errors import DomainError
    from chalicelib.events.jobs import JOBS

    if name not in JOBS:
        print(f'unknown job {name!r}; jobs: {", ".join(sorted(JOBS))}', file=sys.stderr)
        return 2
    kwargs: dict[str, Any] = {'date': date} if date else {}
    if full:
        kwargs['full'] = True
    if force:
        kwargs['force'] = True
    try:
        result = JOBS[name].run(**kwargs)
    except DomainError as refused:  # a date that is not one, or a day not over yet: say why, no traceback
        print(f'{name}: {refused.message}', file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2, default=str))
    return 0


def verify_audit() -> int:
    from chalicelib.services.audit import verify_audit as verify
    from chalicelib.wiring import get_anchors, get_deps

    report = verify(get_deps(), get_anchors())
    anchor = report.anchor
    if anchor is None:
        anchored = 'no anchor yet (`hadir job anchor-audit` writes one): the newest entries are not anchored'
    else:
        tail = report.unanchored_tail
        anchored = (
            f'anchored at entry {anchor.head.seq} ({anchor.period}); '
            f'{tail} {"entry" if tail == 1 else "entries"} after it not yet anchored'
        )
    if report.ok:
        print(f'audit chain intact: {report.checked} entries verified, {anchored}')
        return 0
    print(
        f'audit chain BROKEN at entry {report.broken_seq}: {report.reason} '
        f'({report.checked} entries before it verified; {anchored})'
    )
    return 1


def _admin_principal() -> Any:
    """The super key `make run` printed, as the principal local commands act for."""
    from chalicelib.domain.api_keys import parse_token
    from chalicelib.domain.models import Principal, Role

    parsed = parse_token(env.ADMIN_KEY_FILE.read_text().strip()) if env.ADMIN_KEY_FILE.exists() else None
    if parsed is None:
        raise SystemExit(f'no admin key in {env.ADMIN_KEY_FILE}: run `make reset`, then `make run`')
    return Principal(key_id=parsed[0], role=Role.SUPER)


def create_key(role: str, opd_id: str | None, name: str) -> int:
    from chalicelib.services import keys
    from chalicelib.wiring import get_deps

    principal = _admin_principal()
    body: dict[str, Any] = {'name': name, 'role': role, **({'opd_id': opd_id} if opd_id else {})}
    print(json.dumps(keys.create_key(get_deps(), principal, body), indent=2))
    return 0


def run_local(api_port: int, aws_port: int, *, history: bool = True) -> int:
    for port in (api_port, aws_port):
        if env.port_is_open(port):
            print(f'port {port} on 127.0.0.1 is already in use (is `make run` already running?)', file=sys.stderr)
            return 2
    env.configure(aws_port, api_port)
    import warnings

    # Powertools warns on every request that publishes no metric; in AWS that goes to CloudWatch, here it would
    # bury the log a newcomer reads.
    warnings.filterwarnings('ignore', message='No application metrics to publish', category=UserWarning)

    from hadir_local import fast_dynamodb
    from hadir_local.embedded_aws import EmbeddedAws

    fast_dynamodb.install()  # item reads as plain JSON: moto's generic serializer is most of a screen's time
    # One request at a time (moto is not thread-safe), and its own log in a file: the API's request log is what a
    # developer reads in the console.
    aws = EmbeddedAws(aws_port, env.AWS_LOG_FILE)
    aws.start()

    from chalicelib.adapters.dynamodb.tables import ensure_tables
    from chalicelib.wiring import get_deps
    from hadir_local import snapshot

    ensure_tables()
    snapshot.ensure_buckets()
    snapshot.ensure_queues()
    restored = snapshot.restore(env.STATE_DIR) if env.STATE_DIR.exists() else {}
    _use_local_face_engine()
    deps = get_deps()
    _seed_if_empty(deps)
    if restored:
        print(f'restored local state from {env.STATE_DIR}/ ({sum(restored.values())} items and objects)')
    env.write_runtime(env.Runtime(aws_port=aws_port, api_port=api_port, pid=_pid()))

    stop = threading.Event()
    saver = threading.Thread(target=_save_periodically, args=(stop,), name='hadir-snapshot', daemon=True)
    saver.start()
    threading.Thread(target=_consume_face_checks, args=(stop,), name='hadir-face-checks', daemon=True).start()
    schedulers: list[Any] = []
    _start_jobs_after_history(deps, stop, schedulers, history)
    server = _api_server(api_port, aws_port)
    _print_banner(api_port, aws_port)

    def shutdown(*_: Any) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    try:
        server.server.serve_forever()
    finally:
        stop.set()
        for scheduler in schedulers:
            scheduler.stop()
        # One snapshot at a time: the exit snapshot waits for a periodic one still writing the same files.
        saver.join()
        try:
            started = time.monotonic()
            saved = snapshot.save(env.STATE_DIR)
            print(
                f'\nsaved local state to {env.STATE_DIR}/ ({sum(saved.values())} items and objects'
                f' in {time.monotonic() - started:.1f} s); bye',
                flush=True,
            )
        finally:
            env.RUNTIME_FILE.unlink(missing_ok=True)
            aws.stop()
    return 0


def _pid() -> int:
    return os.getpid()


def _seed_if_empty(deps: Any) -> None:
    from hadir_local.seed import demo_is_seeded, seed_demo

    if demo_is_seeded(deps):
        return
    started = time.monotonic()
    print('seeding the demo pemda (first start)...')
    summary = seed_demo(deps, progress=lambda step: print(f'  {time.monotonic() - started:5.1f} s  {step}', flush=True))
    env.LOCAL_DIR.mkdir(parents=True, exist_ok=True)
    env.ADMIN_KEY_FILE.write_text(summary.admin_token + '\n')
    env.KEYS_FILE.write_text(
        json.dumps(
            {**summary.reader_tokens, 'opd_admins': summary.opd_admin_tokens, 'bridges': summary.bridge_tokens},
            indent=2,
        )
        + '\n'
    )
    print(f'seeded {summary.counts} in {time.monotonic() - started:.1f} s')


def _use_local_face_engine() -> None:
    """Rekognition is not offered here and moto's answers are canned: faces are compared for real, offline,
    with dlib. Its index lives beside the saved state, so `make reset` forgets it with everything else."""
    from chalicelib.wiring import use_face_engine
    from hadir_local.dlib_faces import DlibFaceEngine

    use_face_engine(DlibFaceEngine(env.STATE_DIR / 'faces.json'))


def _consume_face_checks(stop: threading.Event) -> None:
    """What the SQS event source does in AWS: hand queued face checks to the same consumer function. Pending
    check-ins whose message did not survive a restart are queued again first."""
    from chalicelib import resource_names as names
    from chalicelib.adapters.clients import boto3_client
    from chalicelib.events.face_checks import verify_messages
    from chalicelib.services.checkins import requeue_stale_pending
    from chalicelib.settings import get_settings
    from chalicelib.wiring import get_mobile

    sqs = boto3_client('sqs')
    url = sqs.get_queue_url(QueueName=names.queue_name(get_settings().stage, names.QUEUE_FACE_CHECKS))['QueueUrl']
    requeue_stale_pending(get_mobile(), timedelta(0))
    while not stop.is_set():
        try:
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=5, WaitTimeSeconds=1).get('Messages', [])
            if messages:
                print(f'face checks: {verify_messages([m["Body"] for m in messages])}', flush=True)
                sqs.delete_message_batch(
                    QueueUrl=url,
                    Entries=[{'Id': str(i), 'ReceiptHandle': m['ReceiptHandle']} for i, m in enumerate(messages)],
                )
        except Exception as exc:  # noqa: BLE001 - keep consuming; the message comes back after its visibility timeout
            print(f'face checks failed: {exc}', file=sys.stderr)
            stop.wait(5)


def _save_periodically(stop: threading.Event) -> None:
    from hadir_local import snapshot

    pause = float(SNAPSHOT_EVERY_SECONDS)
    while not stop.wait(pause):
        started = time.monotonic()
        try:
            snapshot.save(env.STATE_DIR)
        except Exception as exc:  # noqa: BLE001 - keep serving; the exit snapshot will try again
            print(f'snapshot failed: {exc}', file=sys.stderr)
        # A big state takes long to save: never spend more than a fifth of the time saving it.
        pause = max(SNAPSHOT_EVERY_SECONDS, 4 * (time.monotonic() - started))


def _start_jobs_after_history(deps: Any, stop: threading.Event, schedulers: list[Any], history: bool) -> None:
    """The scheduler starts once the demo's past is written: a job run meanwhile would close a half-written month.
    The history is written in the background, so the API answers while it runs."""
    from hadir_local import demo_history

    if not history or not demo_history.history_pending(deps):
        schedulers.append(_start_scheduler())
        return

    def write() -> None:
        started = time.monotonic()
        print("writing the demo's past (last month and this month up to yesterday) in the background...", flush=True)
        try:
            demo_history.write_history(
                deps, _admin_principal(), demo_history.local_today(deps),
                lambda step: print(f'  history {time.monotonic() - started:5.1f} s  {step}', flush=True),
            )  # fmt: skip
            print(f"the demo's past is written ({time.monotonic() - started:.0f} s)", flush=True)
        except Exception as exc:  # noqa: BLE001 - the stack stays up; the next start writes the history again
            print(f"writing the demo's past failed: {type(exc).__name__}: {exc}", flush=True)
        if not stop.is_set():
            schedulers.append(_start_scheduler())

    threading.Thread(target=write, name='hadir-history', daemon=True).start()


def _start_scheduler() -> Any:
    from chalicelib.events.jobs import JOBS
    from hadir_local.scheduler import LocalScheduler

    def report(name: str, result: Any) -> None:
        print(f'[{datetime.now(UTC):%Y-%m-%d %H:%M:%S}Z] scheduled job {name}: {json.dumps(result, default=str)}')

    scheduler = LocalScheduler({name: (job.cron, job.run) for name, job in JOBS.items()}, report)
    scheduler.start()
    return scheduler


def _api_server(port: int, aws_port: int) -> Any:
    from app import app
    from hadir_local.web_server import WEB_ROOT, create_server

    # The web pages show selfies by their presigned links, which name the embedded AWS.
    return create_server(app, port, WEB_ROOT, image_origins=(f'http://127.0.0.1:{aws_port}',))


def _print_banner(api_port: int, aws_port: int) -> None:
    admin = env.ADMIN_KEY_FILE.read_text().strip() if env.ADMIN_KEY_FILE.exists() else '(missing: run make reset)'
    base = f'http://127.0.0.1:{api_port}'
    print(
        '\nHadir is running locally.\n'
        f"  web app         {base}/ (the employees' phone app)\n"
        f'  console         {base}/admin/ (sign in with a key below, or one from {env.KEYS_FILE.name})\n'
        f'  API             {base}/v1/health\n'
        f'  OpenAPI         {base}/v1/openapi.json\n'
        f'  embedded AWS    http://127.0.0.1:{aws_port} (moto server; its log: {env.AWS_LOG_FILE})\n'
        f'  admin API key   {admin}\n'
        f'  other keys      {env.KEYS_FILE} (auditor, finance, OPD admins, bridges)\n'
        f'  state           {env.STATE_DIR}/ (saved every {SNAPSHOT_EVERY_SECONDS} s and on exit)\n'
        f'  try             curl -H "X-API-Key: {admin}" "{base}/v1/employees?limit=500"\n'
        'Press Ctrl+C to stop.\n',
        flush=True,
    )


if __name__ == '__main__':
    sys.exit(main())
