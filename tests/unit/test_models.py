from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from chalicelib.domain.geo import polygon_is_simple, segments_intersect
from chalicelib.domain.models import CircleLocation, Employee, Machine, Opd, PinMapping, PolygonLocation

SQUARE = [(-5.10, 119.40), (-5.10, 119.41), (-5.11, 119.41), (-5.11, 119.40)]


def points(vertices: list[tuple[float, float]]) -> list[dict[str, float]]:
    return [{'lat': lat, 'lon': lon} for lat, lon in vertices]


def errors_of(exc: ValidationError) -> dict[str, str]:
    return {'.'.join(str(p) for p in e['loc']) or 'body': e['msg'] for e in exc.errors()}


# --- geometry -----------------------------------------------------------------------------------


def test_crossing_segments_intersect_and_parallel_ones_do_not() -> None:
    assert segments_intersect((0, 0), (2, 2), (0, 2), (2, 0))
    assert not segments_intersect((0, 0), (2, 0), (0, 1), (2, 1))


def test_collinear_segments_intersect_only_when_they_overlap() -> None:
    assert segments_intersect((0, 0), (2, 0), (1, 0), (3, 0))
    assert not segments_intersect((0, 0), (1, 0), (2, 0), (3, 0))


def test_a_square_and_a_triangle_are_simple_polygons() -> None:
    assert polygon_is_simple(SQUARE)
    assert polygon_is_simple(SQUARE[:3])


@pytest.mark.parametrize(
    'vertices',
    [
        [SQUARE[0], SQUARE[2], SQUARE[1], SQUARE[3]],  # a bow tie: two edges cross
        [SQUARE[0], SQUARE[1], SQUARE[0], SQUARE[2]],  # a repeated vertex
        SQUARE[:2],  # too few vertices
        [(0, 0), (0, 2), (0, 1), (1, 1)],  # an edge folds back over another
    ],
)
def test_degenerate_or_self_crossing_polygons_are_not_simple(vertices: list[tuple[float, float]]) -> None:
    assert not polygon_is_simple(vertices)


def test_an_office_polygon_with_crossing_edges_is_rejected_with_a_reason() -> None:
    # Given a bow-tie office outline
    bow_tie = points([SQUARE[0], SQUARE[2], SQUARE[1], SQUARE[3]])
    # When it is validated as a location
    with pytest.raises(ValidationError) as refused:
        PolygonLocation(name='Kantor', vertices=bow_tie)
    # Then the vertices field carries the reason
    assert 'polygon edges must not cross' in errors_of(refused.value)['vertices']


def test_an_office_polygon_needs_three_vertices_inside_indonesia() -> None:
    with pytest.raises(ValidationError) as few:
        PolygonLocation(name='Kantor', vertices=points(SQUARE[:2]))
    assert 'vertices' in errors_of(few.value)
    with pytest.raises(ValidationError) as abroad:
        PolygonLocation(name='Kantor', vertices=points([(51.5, 119.4), *SQUARE[1:]]))
    assert 'vertices.0.lat' in errors_of(abroad.value)


def test_a_valid_office_polygon_is_accepted_inside_an_opd() -> None:
    location = {'kind': 'polygon', 'name': 'Kantor Dinas', 'vertices': points(SQUARE)}
    opd = Opd.model_validate(
        {
            'opd_id': 'DISDIK',
            'name': 'Dinas Pendidikan',
            'kind': 'dinas',
            'zone': 'Asia/Makassar',
            'locations': [location],
        }
    )
    assert isinstance(opd.locations[0], PolygonLocation) and len(opd.locations[0].vertices) == 4


@pytest.mark.parametrize(('radius', 'ok'), [(9, False), (10, True), (5000, True), (5001, False)])
def test_a_circle_geofence_radius_is_between_10_m_and_5_km(radius: int, ok: bool) -> None:
    body: dict[str, Any] = {'name': 'Kantor', 'center': {'lat': -5.1, 'lon': 119.4}, 'radius_m': radius}
    if ok:
        assert CircleLocation.model_validate(body).radius_m == radius
    else:
        with pytest.raises(ValidationError):
            CircleLocation.model_validate(body)


# --- PIN mappings -------------------------------------------------------------------------------


def mapping(start: str, end: str | None = None, employee_id: str = 'emp-1') -> PinMapping:
    return PinMapping(
        serial='SN1',
        pin='12',
        employee_id=employee_id,
        valid_from=date.fromisoformat(start),
        valid_to=date.fromisoformat(end) if end else None,
    )


@pytest.mark.parametrize(
    ('a', 'b', 'overlap'),
    [
        (('2026-01-01', '2026-01-31'), ('2026-02-01', None), False),  # back to back
        (('2026-01-01', '2026-01-31'), ('2026-01-31', None), True),  # share the last day
        (('2026-01-01', None), ('2030-06-01', '2030-06-30'), True),  # open end covers the future
        (('2026-03-01', '2026-03-31'), ('2026-01-01', '2026-02-28'), False),
        (('2026-01-10', '2026-01-20'), ('2026-01-01', '2026-01-31'), True),  # contained
    ],
)
def test_pin_mappings_overlap_when_their_periods_share_a_day(
    a: tuple[str, str | None], b: tuple[str, str | None], overlap: bool
) -> None:
    first, second = mapping(*a), mapping(*b, employee_id='emp-2')
    assert first.overlaps(second) is overlap
    assert second.overlaps(first) is overlap


def test_a_pin_mapping_covers_the_days_of_its_period_inclusive() -> None:
    m = mapping('2026-01-01', '2026-01-31')
    assert m.covers(date(2026, 1, 1)) and m.covers(date(2026, 1, 31))
    assert not m.covers(date(2025, 12, 31)) and not m.covers(date(2026, 2, 1))
    assert mapping('2026-01-01').covers(date(2099, 1, 1))


def test_a_pin_mapping_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValidationError, match='valid_to must not be before valid_from'):
        mapping('2026-02-01', '2026-01-31')


# --- employees ----------------------------------------------------------------------------------

EMPLOYEE: dict[str, Any] = {
    'employee_id': 'emp-1',
    'name': 'Budi Santoso',
    'opd_id': 'DISDIK',
    'jabatan': 'Analis Kepegawaian',
    'kelas_jabatan': 7,
    'tpp_ceiling': 4_000_000,
}
NIP = '198503152010011001'
NI_PPPK = '198503152022211003'
NIK = '7371011503850001'


@pytest.mark.parametrize(
    'identity',
    [
        {'employee_type': 'PNS', 'nip': NIP},
        {'employee_type': 'PPPK', 'nip': NI_PPPK, 'nik': NIK},
        {'employee_type': 'TKK', 'nik': NIK},
    ],
)
def test_each_employee_type_is_accepted_with_its_identity_numbers(identity: dict[str, str]) -> None:
    assert Employee.model_validate({**EMPLOYEE, **identity}).employee_type == identity['employee_type']


@pytest.mark.parametrize(
    ('identity', 'reason'),
    [
        ({'employee_type': 'PNS'}, 'PNS staff need an 18-digit NIP'),
        ({'employee_type': 'PNS', 'nip': NI_PPPK}, 'this is a PPPK number'),
        ({'employee_type': 'PPPK', 'nip': NIP}, 'a PPPK number .NI PPPK. has the code 21'),
        ({'employee_type': 'PPPK', 'nik': NIK}, 'PPPK staff need an 18-digit NIP'),
        ({'employee_type': 'TKK', 'nip': NIP, 'nik': NIK}, 'TKK staff have no NIP'),
        ({'employee_type': 'TKK'}, 'TKK staff need a 16-digit NIK'),
    ],
)
def test_identity_numbers_follow_the_employee_type(identity: dict[str, str], reason: str) -> None:
    with pytest.raises(ValidationError, match=reason):
        Employee.model_validate({**EMPLOYEE, **identity})


def test_a_malformed_nip_is_reported_on_the_nip_field() -> None:
    with pytest.raises(ValidationError) as refused:
        Employee.model_validate({**EMPLOYEE, 'employee_type': 'PNS', 'nip': '198502302010011001'})
    assert 'not a valid birth date' in errors_of(refused.value)['nip']


@pytest.mark.parametrize(
    ('field', 'value'),
    [('kelas_jabatan', 0), ('kelas_jabatan', 18), ('golongan', 'III/f'), ('tpp_ceiling', -1), ('nik', '123')],
)
def test_out_of_range_employee_fields_are_reported_by_name(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as refused:
        Employee.model_validate({**EMPLOYEE, 'employee_type': 'PNS', 'nip': NIP, field: value})
    assert field in errors_of(refused.value)


def test_unknown_fields_are_refused_rather_than_dropped() -> None:
    with pytest.raises(ValidationError) as refused:
        Employee.model_validate({**EMPLOYEE, 'employee_type': 'PNS', 'nip': NIP, 'salary': 1})
    assert 'salary' in errors_of(refused.value)


# --- machines -----------------------------------------------------------------------------------


def test_a_pull_machine_needs_an_address_and_a_push_machine_does_not() -> None:
    base = {'serial': 'CKX1234', 'name': 'Mesin Lobi', 'opd_id': 'DISDIK', 'zone': 'Asia/Makassar'}
    assert Machine.model_validate({**base, 'protocol': 'push'}).address is None
    assert Machine.model_validate({**base, 'protocol': 'pull', 'address': '10.0.0.5:4370'}).address == '10.0.0.5:4370'
    with pytest.raises(ValidationError, match='needs an address'):
        Machine.model_validate({**base, 'protocol': 'pull'})
