"""The web app's and the console's response headers: CloudFront's policy with the strict CSP, in the template."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

from chalicelib import resource_names as names
from infra.stacks.web import HSTS_SECONDS, content_security_policy
from tests.infra.conftest import ACCOUNT

Template = dict[str, Any]


def _policy(template: Template) -> tuple[str, dict[str, Any]]:
    kind = 'AWS::CloudFront::ResponseHeadersPolicy'
    (found,) = [(k, r) for k, r in template['Resources'].items() if r['Type'] == kind]
    return found[0], found[1]['Properties']['ResponseHeadersPolicyConfig']


def _text(value: Any) -> str:
    """The CSP as CloudFormation will write it: Fn::Join of text and pseudo parameters (the URL suffix)."""
    if isinstance(value, dict) and 'Fn::Join' in value:
        return str(value['Fn::Join'][0]).join(_text(v) for v in value['Fn::Join'][1])
    if isinstance(value, dict) and 'Ref' in value:
        return f'<{value["Ref"]}>'
    return str(value)


def _directives(csp: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in csp.split('; ')}


def test_the_pages_get_a_strict_content_security_policy(template: Template, stage: str) -> None:
    # Given the response headers policy of the distribution
    _, config = _policy(template)
    security = config['SecurityHeadersConfig']
    csp = security['ContentSecurityPolicy']
    # Then the CSP is the strict one, and overrides whatever the bucket might send
    assert csp['Override'] is True
    directives = _directives(_text(csp['ContentSecurityPolicy']))
    assert directives == {
        'default-src': ["'self'"],
        'script-src': ["'self'"],
        'style-src': ["'self'"],
        'img-src': directives['img-src'],
        'connect-src': ["'self'"],
        'object-src': ["'none'"],
        'base-uri': ["'none'"],
        'frame-ancestors': ["'none'"],
        'form-action': ["'self'"],
    }
    # And images come from the site, data:/blob: (the camera's frames) and the media bucket's selfies only
    media = names.bucket_name(stage, names.BUCKET_MEDIA, ACCOUNT)
    assert media in {r['Properties'].get('BucketName') for r in template['Resources'].values()}
    assert directives['img-src'] == [
        "'self'", 'data:', 'blob:', f'https://{media}.s3.{names.HOME_REGION}.<AWS::URLSuffix>',
        f'https://{media}.s3.<AWS::URLSuffix>',
    ]  # fmt: skip
    assert not any('unsafe' in value or value == '*' for values in directives.values() for value in values)
    # And HSTS for two years with subdomains, nosniff, no referrer, no framing
    assert security['StrictTransportSecurity'] == {
        'AccessControlMaxAgeSec': HSTS_SECONDS, 'IncludeSubdomains': True, 'Preload': True, 'Override': True,
    }  # fmt: skip
    assert security['ContentTypeOptions'] == {'Override': True}
    assert security['ReferrerPolicy'] == {'ReferrerPolicy': 'no-referrer', 'Override': True}
    assert security['FrameOptions'] == {'FrameOption': 'DENY', 'Override': True}


def test_the_files_behaviour_uses_the_policy(template: Template) -> None:
    policy_id, _ = _policy(template)
    (distribution,) = [r for r in template['Resources'].values() if r['Type'] == 'AWS::CloudFront::Distribution']
    default = distribution['Properties']['DistributionConfig']['DefaultCacheBehavior']
    assert default['ResponseHeadersPolicyId'] == {'Ref': policy_id}


def test_the_policy_text_has_no_inline_allowance_for_any_host_list() -> None:
    csp = content_security_policy(['media.s3.ap-southeast-3.amazonaws.com'])
    assert csp.startswith("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: ")
    assert 'https://media.s3.ap-southeast-3.amazonaws.com' in csp and 'unsafe-inline' not in csp


def test_console_paths_fall_back_to_the_consoles_page(template: Template) -> None:
    # Given the viewer-request function of the files' behaviour
    (distribution,) = [r for r in template['Resources'].values() if r['Type'] == 'AWS::CloudFront::Distribution']
    (association,) = distribution['Properties']['DistributionConfig']['DefaultCacheBehavior']['FunctionAssociations']
    code = template['Resources'][association['FunctionARN']['Fn::GetAtt'][0]]['Properties']['FunctionCode']
    node = shutil.which('node')
    assert node is not None, 'node is needed to run the CloudFront function; install Debian nodejs'
    # When it sees the console's paths, its files, and the phone app's pages
    uris = ['/admin', '/admin/', '/admin/keuangan', '/admin/js/ui.js', '/admin/index.html', '/administrasi', '/']
    script = code + f'console.log(JSON.stringify({json.dumps(uris)}.map((uri) => handler({{request: {{uri}}}}).uri)));'
    result = subprocess.run([node, '-e', script], capture_output=True, text=True, timeout=30, check=True)
    # Then the console's pages are the console's one page, its files stay files, and the phone app keeps its own
    assert json.loads(result.stdout) == [
        '/admin/index.html', '/admin/index.html', '/admin/index.html', '/admin/js/ui.js', '/admin/index.html',
        '/index.html', '/index.html',
    ]  # fmt: skip
