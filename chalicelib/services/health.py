"""Liveness with a real dependency check."""

from __future__ import annotations

from typing import Any

from chalicelib.services.common import KIND_PEMDA, Deps


def health(deps: Deps, stage: str) -> dict[str, Any]:
    try:
        deps.store.get(KIND_PEMDA, 'settings')
        database = 'ok'
    except Exception as exc:  # noqa: BLE001 - health reports any failure rather than raising
        database = f'error: {type(exc).__name__}'
    return {'status': 'ok' if database == 'ok' else 'degraded', 'stage': stage, 'time': deps.clock().isoformat(),
            'checks': {'directory_table': database}}  # fmt: skip
