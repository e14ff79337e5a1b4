"""Thresholds that agree (issue 12, liveness item 3): the enrolment's duplicate search blocks at the strong
threshold (90) as before, and a match in the band below it (80-90, the band a check-in sends to review) enrols
with a non-blocking alert for review, which a super admin resolves as different people (audited). One search
call either way."""

from __future__ import annotations

from tests.integration.test_checkin import World, activate, enrol, signed, world  # noqa: F401 - the fixture


def _alerts(world: World) -> list[dict[str, object]]:  # noqa: F811
    return list(world.hx.call('GET', '/v1/alerts?opd=DIKES', world.admin).body['items'])


def test_a_look_alike_in_the_review_band_enrols_and_raises_an_alert_to_resolve(world: World) -> None:  # noqa: F811
    # Given Ani enrolled, and Budi whose face the engine scores 85 against hers (a genuine pair scored 77-90)
    world.faces.similarity_overrides[('ani', 'budi')] = 85.0
    enrol(world, activate(world, 0), 'ani')
    budi = activate(world, 1)
    searches = world.faces.calls['search']
    # When Budi enrols
    reply = enrol(world, budi, 'budi')
    # Then he is enrolled (not blocked), with one search call, and an alert waits for review
    assert reply.status == 201, reply.body
    assert world.faces.calls['search'] == searches + 1
    assert signed(world.hx, budi, 'GET', '/v1/mobile/me').body['face_enrolled'] is True
    [alert] = _alerts(world)
    assert (alert['kind'], alert['employee_id'], alert['other_employee_id'], alert['similarity']) == (
        'possible_duplicate_face', world.employees[1], world.employees[0], 85.0,
    )  # fmt: skip
    # When the super admin resolves it as different people, it is kept with the decision (audited)
    resolved = world.hx.call('POST', f'/v1/alerts/{alert["alert_id"]}/resolve', world.hx.super_key,
                             {'decision': 'different_people', 'reason': 'saudara kembar, dicek langsung'})  # fmt: skip
    assert resolved.status == 200, resolved.body
    assert resolved.body['resolution'] == 'different_people'
    actions = [e['action'] for e in world.hx.call('GET', '/v1/audit?limit=200', world.hx.super_key).body['items']]
    assert {'alert.possible_duplicate_face', 'alert.resolve'} <= set(actions)


def test_at_the_strong_threshold_the_enrolment_is_still_blocked(world: World) -> None:  # noqa: F811
    world.faces.similarity_overrides[('ani', 'budi')] = 92.0
    enrol(world, activate(world, 0), 'ani')
    reply = enrol(world, activate(world, 1), 'budi')
    assert (reply.status, reply.body['error']['code']) == (409, 'duplicate_face')
    assert [a['kind'] for a in _alerts(world)] == ['duplicate_face']


def test_below_the_band_nothing_is_raised(world: World) -> None:  # noqa: F811
    world.faces.similarity_overrides[('ani', 'budi')] = 79.0
    enrol(world, activate(world, 0), 'ani')
    assert enrol(world, activate(world, 1), 'budi').status == 201
    assert _alerts(world) == []
