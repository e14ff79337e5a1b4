"""Reading and verifying the audit chain."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.access import Permission, scope_opd
from chalicelib.domain.audit_chain import ChainReport, verify_chain
from chalicelib.domain.models import Principal
from chalicelib.services.common import Deps


def list_audit(
    deps: Deps, principal: Principal, opd_id: str | None, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    scope = scope_opd(principal, Permission.AUDIT_READ, opd_id)
    page = deps.audit_log.entries(opd_id=scope, limit=limit, cursor=cursor)
    return [e.model_dump(mode='json') for e in page.items], page.next_cursor


def verify_audit(deps: Deps) -> ChainReport:
    """Walk the whole chain from its first entry; the report names the first broken link."""
    return verify_chain(deps.audit_log.walk())
