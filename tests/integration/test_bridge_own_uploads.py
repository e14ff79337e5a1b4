"""GET /v1/bridge/uploads: a bridge sees its own recent uploads and their rejected lines (for its doctor)."""

from __future__ import annotations

import json

from tests.integration.test_ingest import Site, punch, reconcile, site, upload  # noqa: F401 - `site` is a fixture
from tests.support import Harness


def test_a_bridge_reads_its_own_recent_uploads_with_their_rejects_and_no_other_bridges(hx: Harness, site: Site) -> None:  # noqa: F811
    # Given bridge A uploaded a batch with a good punch and one of a machine the cloud does not know, and B one
    upload(hx, site.bridge_token, [json.dumps(punch('7', '2026-11-20 07:41:10')),
                                   json.dumps(punch('3', '2026-11-20 07:00:00', serial='UNKNOWN1'))])  # fmt: skip
    upload(hx, site.other_bridge_token, [json.dumps(punch('7', '2026-11-20 07:50:00'))])
    reconcile()
    # When bridge A asks for its uploads
    answer = hx.call('GET', '/v1/bridge/uploads', site.bridge_token)
    # Then it sees only its own file, its counts and the reason of the rejected line
    assert answer.status == 200, answer.body
    [item] = answer.body['items']
    assert item['bridge_id'] == 'BRG-A' and (item['accepted'], item['rejected']) == (1, 1)
    assert [reject['reason'] for reject in item['rejects']] == ['unknown machine serial UNKNOWN1']
    # And an administrator's key is not a bridge's
    assert hx.call('GET', '/v1/bridge/uploads', hx.super_key).status == 403
