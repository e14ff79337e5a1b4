"""cdk-nag acknowledgements: each one carries its reason; IAM findings come only from wildcards.py."""

from __future__ import annotations

from typing import Any

from aws_cdk import Acknowledgment, Stack, Validations
from aws_cdk import aws_iam as iam
from constructs import IConstruct

from infra.stacks.wildcards import managed_policy_reason, wildcard_findings


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    """Accept one validation finding (cdk-nag, CDK's template validator) on `construct` and below, saying why."""
    if not reason.strip():
        raise ValueError(f'acknowledging {rule} needs a reason')
    Validations.of(construct).acknowledge(Acknowledgment(id=rule, reason=reason))


def _documents(node: Any) -> list[Any]:
    if isinstance(node, iam.CfnPolicy | iam.CfnManagedPolicy):
        return [Stack.of(node).resolve(node.policy_document)]
    if isinstance(node, iam.CfnRole):
        stack = Stack.of(node)
        policies = stack.resolve(node.policies) or []
        return [stack.resolve(p.get('policyDocument', p.get('PolicyDocument'))) for p in policies]
    return []


def acknowledge_justified_iam(root: IConstruct) -> None:
    """Acknowledge the IAM4/IAM5 findings that wildcards.py justifies, and no others.

    A finding id shared by a justified and an unjustified statement of one policy stays unacknowledged,
    so cdk-nag still fails on the unjustified one.
    """
    for node in root.node.find_all():
        justified: dict[str, str] = {}
        unjustified: set[str] = set()
        for document in _documents(node):
            for finding in wildcard_findings(document or {}):
                for finding_id in finding.finding_ids:
                    if finding.justified_by:
                        justified.setdefault(finding_id, finding.reason)
                    else:
                        unjustified.add(finding_id)
        for finding_id, reason in justified.items():
            if finding_id not in unjustified:
                acknowledge(node, f'AwsSolutions-IAM5[{finding_id}]', reason)
        if isinstance(node, iam.CfnRole):
            for arn in Stack.of(node).resolve(node.managed_policy_arns) or []:
                flat, accepted = managed_policy_reason(arn)
                if accepted is not None:
                    acknowledge(node, f'AwsSolutions-IAM4[Policy::{flat}]', accepted)
