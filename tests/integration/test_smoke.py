from tests.support import Harness


def test_health_answers_without_a_key(hx: Harness) -> None:
    reply = hx.call('GET', '/v1/health')
    assert reply.status == 200
    assert reply.body['checks']['directory_table'] == 'ok'


def test_super_key_creates_and_reads_an_opd(hx: Harness) -> None:
    body = {'opd_id': 'DISDIK', 'name': 'Dinas Pendidikan', 'kind': 'dinas', 'zone': 'Asia/Jakarta'}
    created = hx.call('POST', '/v1/opds', hx.super_key, body)
    assert created.status == 201, created.body
    got = hx.call('GET', '/v1/opds/DISDIK', hx.super_key)
    assert got.body['name'] == 'Dinas Pendidikan'
