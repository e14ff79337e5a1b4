"""The export job's workbooks beside its CSVs, finance's notice, and the OPD recap's key path, on moto.

January 2026, 1 January a holiday: a small OPD (2 PNS) and a bigger one (5 PNS), everyone on time on every
weekday but one absence, every PNS scored 100 %.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from typing import Any

import openpyxl
import pytest

from chalicelib import resource_names as names
from chalicelib.adapters.clients import boto3_client
from chalicelib.adapters.dynamodb.allowance_items import AllowanceItem
from chalicelib.adapters.dynamodb.punches import DynamoPunchLedger
from chalicelib.adapters.notices import SnsFinanceNotices
from chalicelib.domain.tpp.finance_xlsx import SHEET_CODES, SHEET_COVER, SHEET_ROWS, XLSX_TYPE
from chalicelib.events.jobs import JOBS
from chalicelib.services import allowance
from chalicelib.settings import get_settings
from chalicelib.wiring import get_books, get_deps
from tests.integration.builders import employee_body, opd_body, phone_punch
from tests.support import Harness

ZONE = 'Asia/Jakarta'
JANUARY = [date(2026, 1, d) for d in range(1, 32)]
PREFIX = 'exports/tpp/2026-01/rev-001/'
SIZES = {'KEC-KECIL': 2, 'DINAS-BESAR': 5}
ABSENT_DAY = date(2026, 1, 14)


@pytest.fixture
def closed(hx: Harness) -> dict[str, list[str]]:
    # Given a pemda with two OPDs of 2 and 5 PNS, January's punches, scores, and the month closed
    key = hx.super_key
    pemda = {'name': 'Kabupaten Contoh', 'code': 'KAB-CONTOH', 'zone': ZONE, 'province': 'Jawa Tengah'}
    assert hx.call('PUT', '/v1/pemda', key, pemda).status == 200
    holiday = {'day': '2026-01-01', 'name': 'Tahun Baru 2026 Masehi', 'kind': 'national'}
    assert hx.call('POST', '/v1/holidays', key, holiday).status == 201
    staff: dict[str, list[str]] = {}
    n = 0
    for opd_id, size in SIZES.items():
        assert hx.call('POST', '/v1/opds', key, opd_body(opd_id, zone=ZONE)).status == 201
        for _ in range(size):
            n += 1
            reply = hx.call('POST', '/v1/employees', key, employee_body(opd_id, n))
            assert reply.status == 201, reply.body
            staff.setdefault(opd_id, []).append(reply.body['employee_id'])
    everyone = [(e, o) for o, ids in staff.items() for e in ids]
    scores = {'scores': [{'employee_id': e, 'score': 100} for e, _ in everyone]}
    assert hx.call('PUT', '/v1/scores/2026-01', key, scores).status == 200
    punches = [
        phone_punch(e, o, day, hhmm, ZONE)
        for day in JANUARY
        if day.weekday() < 5
        for e, o in everyone
        if (e, day) != (everyone[0][0], ABSENT_DAY)
        for hhmm in ('07:20', '16:35')
    ]
    DynamoPunchLedger().record(punches)
    allowance.close_days(get_deps(), get_books(), JANUARY[0], JANUARY[-1])
    assert allowance.close_month(get_deps(), get_books(), '2026-01')['employees'] == sum(SIZES.values())
    return staff


def _objects() -> dict[str, bytes]:
    s3, bucket = boto3_client('s3'), get_settings().bucket(names.BUCKET_EXPORTS)
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=PREFIX).get('Contents', [])
    return {o['Key'].removeprefix(PREFIX): s3.get_object(Bucket=bucket, Key=o['Key'])['Body'].read() for o in listed}


def _csv_rows(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode('utf-8-sig'), newline='')))


def _xlsx_rows(body: bytes) -> list[dict[str, Any]]:
    sheet = openpyxl.load_workbook(io.BytesIO(body))[SHEET_ROWS]
    rows = list(sheet.iter_rows())
    headers = [c.value for c in rows[0]]
    return [dict(zip(headers, row, strict=True)) for row in rows[1:]]


def test_the_export_job_writes_a_workbook_beside_each_csv_and_the_listing_links_both(
    hx: Harness, closed: dict[str, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    # When the export job runs
    exported = JOBS['export-tpp'].run(date='2026-01-31')
    # Then each CSV has its workbook beside it, and the manifest comes last
    assert (exported['revision'], exported['files'], exported['written']) == (1, 7, 7)
    files = _objects()
    assert sorted(files) == sorted(
        [f'{o}.{ext}' for o in SIZES for ext in ('csv', 'xlsx')] + ['pemda.csv', 'pemda.xlsx', 'manifest.json']
    )
    for stem in [*SIZES, 'pemda']:
        from_csv, from_xlsx = _csv_rows(files[f'{stem}.csv']), _xlsx_rows(files[f'{stem}.xlsx'])
        # And the workbook's NIPs are text cells equal to the CSV's, its rupiah numbers equal to the CSV's
        assert [(r['NIP'].data_type, r['NIP'].value) for r in from_xlsx] == [('s', r['NIP']) for r in from_csv]
        assert [r['TPP bruto'].value for r in from_xlsx] == [int(r['TPP bruto']) for r in from_csv]
        assert [r['potongan (Rp)'].value for r in from_xlsx] == [int(r['potongan (Rp)']) for r in from_csv]
    # And the legend names the absence that occurred, and the cover carries the manifest's digest
    manifest = json.loads(files['manifest.json'])
    workbook = openpyxl.load_workbook(io.BytesIO(files['pemda.xlsx']))
    legend = {row[0].value: row[1].value for row in workbook[SHEET_CODES].iter_rows(min_row=2)}
    assert legend == {'TK': 'Tidak masuk kerja tanpa keterangan'}
    cover = {row[0].value: row[1].value for row in workbook[SHEET_COVER].iter_rows()}
    assert cover['Digest rekaman (SHA-256; manifest.json: records_digest)'] == manifest['records_digest']
    assert cover['SHA-256 file CSV pasangan'] == hashlib.sha256(files['pemda.csv']).hexdigest()
    # And the manifest lists every CSV and workbook with its SHA-256
    assert {f['name']: f['sha256'] for f in manifest['files']} == {
        name: hashlib.sha256(body).hexdigest() for name, body in files.items() if name != 'manifest.json'
    }
    head = boto3_client('s3').head_object(Bucket=get_settings().bucket(names.BUCKET_EXPORTS), Key=PREFIX + 'pemda.xlsx')
    assert head['ContentType'] == XLSX_TYPE
    # And finance is told once, with the month, the revision and the console's Keuangan screen
    notices = [json.loads(line) for line in capsys.readouterr().out.splitlines() if 'finance_notice' in line]
    assert [(n['month'], n['revision'], n['link']) for n in notices] == [
        ('2026-01', 1, 'http://127.0.0.1:8000/admin/#keuangan')
    ]

    # When finance lists the month
    listed = hx.call('GET', '/v1/exports?month=2026-01', hx.make_key('finance'))
    # Then every CSV names its workbook beside it, each with a download link
    assert listed.status == 200, listed.body
    [revision] = listed.body['items']
    by_name = {f['name']: f for f in revision['files']}
    for stem in [*SIZES, 'pemda']:
        table = by_name[f'{stem}.csv']
        assert (table['format'], table['xlsx']['name'], table['xlsx']['format']) == ('csv', f'{stem}.xlsx', 'xlsx')
        assert table['xlsx']['key'] in table['xlsx']['url'] and 'Signature' in table['xlsx']['url']
        assert table['xlsx']['sha256'] == hashlib.sha256(files[f'{stem}.xlsx']).hexdigest()

    # When the job runs again: nothing is written and nobody is told twice
    assert JOBS['export-tpp'].run(date='2026-01-31')['written'] == 0
    assert 'finance_notice' not in capsys.readouterr().out
    assert _objects() == files


def test_a_re_render_of_the_same_revision_is_byte_identical(closed: dict[str, list[str]]) -> None:
    # Given the month exported
    JOBS['export-tpp'].run(date='2026-01-31')
    first = _objects()
    # When the revision's files are rendered again from its records (a lost export re-run from scratch)
    books = get_books()
    [head] = books.records.revisions('2026-01')
    books.records.save_revision(head.model_copy(update={'files': ()}))
    written = allowance.export_month(get_deps(), books, '2026-01')
    # Then every file, workbooks included, has the same bytes: S3 already held each one (nothing written)
    assert written['written'] == 0
    assert _objects() == first


def test_the_notice_is_published_to_the_finance_topic_when_one_is_configured(closed: dict[str, list[str]]) -> None:
    # Given finance's topic with a queue subscribed (as the e-mail subscription would receive it)
    sns, sqs = boto3_client('sns'), boto3_client('sqs')
    topic_arn = sns.create_topic(Name='hadir-test-finance-notices')['TopicArn']
    queue_url = sqs.create_queue(QueueName='finance-inbox')['QueueUrl']
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=['QueueArn'])['Attributes']['QueueArn']
    sns.subscribe(TopicArn=topic_arn, Protocol='sqs', Endpoint=queue_arn)
    books = replace(get_books(), notices=SnsFinanceNotices(topic_arn), console_url='https://hadir.example.go.id/')
    # When the month is exported
    allowance.export_month(get_deps(), books, '2026-01')
    # Then one notice reaches the topic with the month, the revision and the Keuangan screen's link
    [message] = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)['Messages']
    envelope = json.loads(message['Body'])
    assert envelope['Subject'] == 'Hadir: file TPP 2026-01 revisi 1 siap diunduh'
    assert 'https://hadir.example.go.id/admin/#keuangan' in envelope['Message']
    assert envelope['MessageAttributes']['month']['Value'] == '2026-01'


@contextmanager
def _items_read() -> Iterator[list[int]]:
    """Items DynamoDB read (ScannedCount) for each query of the allowance table's by-month index."""
    counts: list[int] = []

    def count(http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name == 'Query' and parsed.get('ScannedCount') is not None:
            counts.append(int(parsed['ScannedCount']))

    client = AllowanceItem._get_connection().connection.client
    client.meta.events.register('after-call.dynamodb.Query', count)
    try:
        yield counts
    finally:
        client.meta.events.unregister('after-call.dynamodb.Query', count)


def test_the_opd_recap_reads_only_that_opds_month_records(hx: Harness, closed: dict[str, list[str]]) -> None:
    figures = {}
    for opd_id in SIZES:
        # When an OPD's recap is read
        with _items_read() as counts:
            reply = hx.call('GET', f'/v1/opds/{opd_id}/recap?month=2026-01', hx.super_key)
        # Then it has that OPD's staff, and the month records read are exactly theirs (plus the revision head)
        assert reply.status == 200, reply.body
        assert sorted(i['employee_id'] for i in reply.body['items']) == sorted(closed[opd_id])
        figures[opd_id] = counts
    # (one query for the revision heads, one for the OPD's key range: 2 items read for 2 staff, 5 for 5)
    assert figures == {opd_id: [1, size] for opd_id, size in SIZES.items()}
