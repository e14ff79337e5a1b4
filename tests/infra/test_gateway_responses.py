"""API Gateway's own answers are in the API's one error shape (issue 11, item 6): an unknown route is `404
not_found` as JSON, not `403 Missing Authentication Token`, deployed as it is under `make run`."""

from __future__ import annotations

import json
from typing import Any

Template = dict[str, Any]


def _gateway_responses(template: Template) -> dict[str, Any]:
    (api,) = [r for r in template['Resources'].values() if r['Type'] == 'AWS::Serverless::Api']
    responses: dict[str, Any] = api['Properties']['GatewayResponses']
    return responses


def _body(response: dict[str, Any], request_id: str = 'req-1', words: str = '"API Gateway says"') -> dict[str, Any]:
    """The JSON a client gets: the template with API Gateway's variables filled in."""
    text = response['ResponseTemplates']['application/json']
    parsed: dict[str, Any] = json.loads(
        text.replace('$context.requestId', request_id).replace('$context.error.messageString', words)
    )
    return parsed


def test_an_unknown_route_is_404_not_found_in_the_one_error_shape(template: Template) -> None:
    # Given the REST API's gateway responses
    responses = _gateway_responses(template)
    # Then an unknown route or method (MISSING_AUTHENTICATION_TOKEN) answers 404 not_found with the request id
    unknown = responses['MISSING_AUTHENTICATION_TOKEN']
    assert unknown['StatusCode'] == '404'
    error = _body(unknown)['error']
    assert (error['code'], error['request_id']) == ('not_found', 'req-1')
    assert '/v1/openapi.json' in error['message']
    assert unknown['ResponseParameters']['Headers']['X-Content-Type-Options'] == "'nosniff'"


def test_every_answer_of_api_gateway_itself_has_the_one_error_shape(template: Template) -> None:
    responses = _gateway_responses(template)
    assert {'DEFAULT_4XX', 'DEFAULT_5XX', 'THROTTLED', 'WAF_FILTERED', 'REQUEST_TOO_LARGE'} <= set(responses)
    expected = {'THROTTLED': ('429', 'too_many_requests'), 'WAF_FILTERED': ('403', 'forbidden'),
                'REQUEST_TOO_LARGE': ('413', 'payload_too_large')}  # fmt: skip
    for response_type, (status, code) in expected.items():
        assert (responses[response_type]['StatusCode'], _body(responses[response_type])['error']['code']) == (
            status,
            code,
        )
    for response_type, response in responses.items():
        error = _body(response)['error']
        assert set(error) == {'code', 'message', 'request_id'}, response_type
    # The defaults keep API Gateway's status and words
    assert 'StatusCode' not in responses['DEFAULT_5XX']
    assert _body(responses['DEFAULT_5XX'])['error'] == {
        'code': 'internal_error',
        'message': 'API Gateway says',
        'request_id': 'req-1',
    }
