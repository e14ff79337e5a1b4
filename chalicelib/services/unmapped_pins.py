"""The PINs of an OPD's machines that punched without a mapping to an employee, for the console's Mesin screen:
an admin sees which PIN on which machine is waiting, maps it (``POST /v1/machines/{serial}/pins``), and the next
reconcile attaches the waiting punches."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.access import Permission, authorize
from chalicelib.domain.models import Machine, Principal
from chalicelib.services.common import KIND_MACHINE, KIND_OPD, Deps, all_records, load, require
from chalicelib.services.ingest import KIND_UNMAPPED


def unmapped_pins(deps: Deps, principal: Principal, opd_id: str) -> dict[str, Any]:
    """Per machine of the OPD and PIN: how many punches wait for a mapping, and their first and last date. One
    prefix read per machine of the OPD."""
    authorize(principal, Permission.MACHINE_READ, opd_id)
    require(deps.store, KIND_OPD, opd_id)
    items = []
    for machine in (load(Machine, r) for r in all_records(deps.store, KIND_MACHINE, f'{opd_id}#')):
        by_pin: dict[str, dict[str, Any]] = {}
        # The ledger's sparse index, and the directory records that held the index before it.
        waiting = [(w.pin, w.local_date.isoformat()) for w in deps.ledger.unmapped(machine.serial)]
        waiting += [(str(r.data['pin']), str(r.data['local_date']))
                    for r in all_records(deps.store, KIND_UNMAPPED, f'{machine.serial}#')]  # fmt: skip
        for pin, day in waiting:
            entry = by_pin.setdefault(pin, {'serial': machine.serial, 'machine_name': machine.name, 'pin': pin,
                                            'punches': 0, 'first_date': day, 'last_date': day})  # fmt: skip
            entry['punches'] += 1
            entry['first_date'] = min(entry['first_date'], day)
            entry['last_date'] = max(entry['last_date'], day)
        items += [by_pin[pin] for pin in sorted(by_pin, key=lambda p: (len(p), p))]
    return {'opd_id': opd_id, 'items': items, 'count': len(items)}
