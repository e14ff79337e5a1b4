"""Finance's notice topic: e-mail subscribed from a parameter, encrypted, published to by the export job only."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib import resource_names as names
from infra.stacks.config import stage_configs
from tests.infra.conftest import FINANCE_EMAIL

Template = dict[str, Any]
EXPORT = 'export-tpp'


def _resources(template: Template, kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template['Resources'].items() if v['Type'] == kind}


def _topic(template: Template, stage: str) -> str:
    name = names.resource_name(stage, 'finance-notices')
    topics = _resources(template, 'AWS::SNS::Topic')
    (topic_id,) = [k for k, r in topics.items() if r['Properties']['TopicName'] == name]
    return topic_id


def _functions(template: Template) -> dict[str, dict[str, Any]]:
    found = _resources(template, 'AWS::Serverless::Function').values()
    return {r['Properties']['FunctionName']: r['Properties'] for r in found}


def _statements(template: Template, function: dict[str, Any]) -> list[dict[str, Any]]:
    role = template['Resources'][function['Role']['Fn::GetAtt'][0]]['Properties']
    return [s for p in role['Policies'] for s in p['PolicyDocument']['Statement']]


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement['Action']
    return action if isinstance(action, list) else [action]


def test_finance_is_subscribed_by_e_mail_to_an_encrypted_topic(template: Template, stage: str) -> None:
    topic_id = _topic(template, stage)
    topic = template['Resources'][topic_id]['Properties']
    assert topic['KmsMasterKeyId']['Fn::GetAtt'][1] == 'Arn'
    [subscription] = [
        s['Properties'] for s in _resources(template, 'AWS::SNS::Subscription').values()
        if s['Properties']['TopicArn'] == {'Ref': topic_id}
    ]  # fmt: skip
    assert (subscription['Protocol'], subscription['Endpoint']) == ('email', FINANCE_EMAIL)
    assert template['Outputs']['FinanceTopic']['Value'] == {'Ref': topic_id}


def test_only_the_export_job_may_publish_and_only_to_the_finance_topic(template: Template, stage: str) -> None:
    topic_id = _topic(template, stage)
    key_id = template['Resources'][topic_id]['Properties']['KmsMasterKeyId']['Fn::GetAtt'][0]
    publishers = {}
    for name, function in _functions(template).items():
        statements = _statements(template, function)
        sns = [s for s in statements if any(a.startswith('sns:') for a in _actions(s))]
        if sns:
            publishers[name] = sns
    # Then the export job alone publishes, to that topic alone, and uses only that topic's key
    export = names.function_name(stage, EXPORT)
    assert list(publishers) == [export]
    assert [(s['Action'], s['Resource']) for s in publishers[export]] == [('sns:Publish', {'Ref': topic_id})]
    kms = [s for s in _statements(template, _functions(template)[export]) if any('kms:' in a for a in _actions(s))]
    assert [(sorted(_actions(s)), s['Resource']) for s in kms] == [
        (['kms:Decrypt', 'kms:GenerateDataKey'], {'Fn::GetAtt': [key_id, 'Arn']})
    ]


def test_the_export_job_is_told_the_topic_and_the_consoles_address(template: Template, stage: str) -> None:
    topic_id = _topic(template, stage)
    functions = _functions(template)
    env = functions[names.function_name(stage, EXPORT)]['Environment']['Variables']
    assert env['HADIR_FINANCE_TOPIC_ARN'] == {'Ref': topic_id}
    (distribution_id,) = _resources(template, 'AWS::CloudFront::Distribution')
    assert json.dumps(env['HADIR_CONSOLE_URL']) == json.dumps(
        {'Fn::Join': ['', ['https://', {'Fn::GetAtt': [distribution_id, 'DomainName']}]]}
    )
    # And no other function carries them (the API's environment cannot name the distribution in front of it)
    others = [n for n, f in functions.items() if 'HADIR_FINANCE_TOPIC_ARN' in f['Environment']['Variables']]
    assert others == [names.function_name(stage, EXPORT)]


def _context(values: dict[str, str]) -> Any:
    return lambda key: values.get(key)


def test_the_finance_address_is_a_parameter_checked_like_the_alarm_address() -> None:
    (config,) = stage_configs(_context({'stage': 'dev', 'finance_email': 'bpkad@contoh.go.id'}))
    assert config.finance_email == 'bpkad@contoh.go.id'
    with pytest.raises(ValueError, match='finance_email .* is not an e-mail'):
        stage_configs(_context({'finance_email': 'bpkad'}))
