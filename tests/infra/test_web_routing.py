"""One origin for the web app and its API: CloudFront sends /v1/* to the REST API, everything else to S3."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

from chalicelib import resource_names as names

Template = dict[str, Any]

# AWS's ids of the managed policies (CloudFront Developer Guide), so the test reads what AWS applies.
CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad'
CACHING_OPTIMIZED = '658327ea-f89d-4fab-a63d-7e88639e58f6'
ALL_VIEWER_EXCEPT_HOST_HEADER = 'b689b0a8-53d0-40ab-baf2-68738e2966ac'
SECURITY_HEADERS = '67f7725c-6f97-4210-82d7-5512b31e9d03'
ALL_METHODS = {'GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'}


def _flat(value: Any) -> str:
    if isinstance(value, dict) and 'Fn::Join' in value:
        return str(value['Fn::Join'][0]).join(_flat(v) for v in value['Fn::Join'][1])
    if isinstance(value, dict) and 'Ref' in value:
        return f'<{value["Ref"]}>'
    return str(value) if isinstance(value, str) else json.dumps(value)


def _distribution(template: Template) -> dict[str, Any]:
    (distribution,) = [r for r in template['Resources'].values() if r['Type'] == 'AWS::CloudFront::Distribution']
    config: dict[str, Any] = distribution['Properties']['DistributionConfig']
    return config


def _origin(distribution: dict[str, Any], behavior: dict[str, Any]) -> dict[str, Any]:
    (origin,) = [o for o in distribution['Origins'] if o['Id'] == behavior['TargetOriginId']]
    return dict(origin)


def _api_behavior(distribution: dict[str, Any]) -> dict[str, Any]:
    (behavior,) = [b for b in distribution.get('CacheBehaviors', []) if b['PathPattern'] == '/v1/*']
    return dict(behavior)


def test_api_paths_go_to_the_rest_apis_stage_over_https(template: Template) -> None:
    # Given the distribution in front of the web app
    distribution = _distribution(template)

    # When a request for /v1/... arrives
    origin = _origin(distribution, _api_behavior(distribution))

    # Then it goes to the API's own execute-api name, under the stage, and only over HTTPS
    domain = _flat(origin['DomainName'])
    assert domain == f'<RestAPI>.execute-api.{names.HOME_REGION}.<AWS::URLSuffix>'
    assert origin['OriginPath'] == '/api'
    # the very URL the stack publishes as the API's
    assert _flat(template['Outputs']['ApiUrl']['Value']) == f'https://{domain}{origin["OriginPath"]}/'
    assert origin['CustomOriginConfig']['OriginProtocolPolicy'] == 'https-only'
    assert origin['CustomOriginConfig']['OriginSSLProtocols'] == ['TLSv1.2']
    assert 'S3OriginConfig' not in origin and 'OriginAccessControlId' not in origin


def test_api_requests_pass_uncached_with_every_method_header_and_query_but_host(template: Template) -> None:
    # Given the /v1/* behaviour
    behavior = _api_behavior(_distribution(template))

    # Then nothing is cached, every method passes, and so does everything the viewer sent except Host
    # (X-API-Key, Idempotency-Key, Content-Type, X-Hadir-*; query strings and the body)
    assert behavior['CachePolicyId'] == CACHING_DISABLED
    assert set(behavior['AllowedMethods']) == ALL_METHODS
    assert behavior['OriginRequestPolicyId'] == ALL_VIEWER_EXCEPT_HOST_HEADER
    # And no redirect that would turn a POST into a bodiless GET
    assert behavior['ViewerProtocolPolicy'] == 'https-only'
    # And the security headers apply to the API's answers as to the app's files
    assert behavior['ResponseHeadersPolicyId'] == SECURITY_HEADERS
    # And no edge code touches the signed path or body
    assert not behavior.get('FunctionAssociations') and not behavior.get('LambdaFunctionAssociations')


def test_everything_else_is_still_the_web_bucket(template: Template) -> None:
    # Given the distribution
    distribution = _distribution(template)

    # When a request matches no other behaviour
    default = distribution['DefaultCacheBehavior']
    origin = _origin(distribution, default)

    # Then the private web bucket answers through origin access control, cached, with Hadir's own security headers
    # (the strict CSP: tests/infra/test_web_headers.py)
    assert origin['OriginAccessControlId']['Fn::GetAtt'][1] == 'Id'
    assert 'S3OriginConfig' in origin
    assert default['CachePolicyId'] == CACHING_OPTIMIZED
    assert default['ViewerProtocolPolicy'] == 'redirect-to-https'
    kind = 'AWS::CloudFront::ResponseHeadersPolicy'
    (policy_id,) = [k for k, r in template['Resources'].items() if r['Type'] == kind]
    assert default['ResponseHeadersPolicyId'] == {'Ref': policy_id}
    assert distribution['DefaultRootObject'] == 'index.html'
    assert len(distribution['Origins']) == 2
    assert [b['PathPattern'] for b in distribution['CacheBehaviors']] == ['/v1/*']


def test_api_errors_reach_the_app_as_sent(template: Template) -> None:
    # Given the distribution's error settings, which CloudFront applies to every behaviour
    errors = _distribution(template).get('CustomErrorResponses', [])

    # Then no error becomes index.html (the API's 403/404 JSON stays), and none is held at the edge
    assert all('ResponsePagePath' not in e and 'ResponseCode' not in e for e in errors)
    assert {e['ErrorCode'] for e in errors} >= {400, 403, 404, 500, 502, 503, 504}
    assert all(e['ErrorCachingMinTTL'] == 0 for e in errors)


def test_page_paths_fall_back_to_index_html_but_files_do_not(template: Template) -> None:
    # Given the viewer-request function on the bucket's behaviour
    default = _distribution(template)['DefaultCacheBehavior']
    (association,) = default['FunctionAssociations']
    assert association['EventType'] == 'viewer-request'
    function_id = association['FunctionARN']['Fn::GetAtt'][0]
    function = template['Resources'][function_id]['Properties']
    assert function['FunctionConfig']['Runtime'] == 'cloudfront-js-2.0'
    node = shutil.which('node')
    # Node.js is on every machine of this project's kind (CI's included): the function's code must really run.
    assert node is not None, 'node is needed to run the CloudFront function; install Debian nodejs'

    # When it sees these paths
    uris = ['/', '/presensi', '/a.b/riwayat', '/index.html', '/sw.js', '/js/app.js', '/manifest.webmanifest']
    script = function['FunctionCode'] + (
        f'console.log(JSON.stringify({json.dumps(uris)}.map((uri) => handler({{request: {{uri}}}}).uri)));'
    )
    result = subprocess.run([node, '-e', script], capture_output=True, text=True, timeout=30, check=True)

    # Then pages become the one page and files stay themselves (a missing file is an error, not HTML)
    assert json.loads(result.stdout) == [
        '/index.html',
        '/index.html',
        '/index.html',
        '/index.html',
        '/sw.js',
        '/js/app.js',
        '/manifest.webmanifest',
    ]
