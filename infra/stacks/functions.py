"""The Chalice app (REST API, scheduled and queue functions) through Chalice's CDK construct.

Chalice packages app.py + chalicelib/ into a SAM template; this construct names each function, gives
each one its own least-privilege role, and exposes the functions to the other constructs.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import CfnResource, Stack
from aws_cdk import aws_iam as iam
from chalice.cdk import Chalice
from constructs import Construct

from chalicelib import resource_names as names
from infra.stacks import access
from infra.stacks.config import REPO_ROOT, StageConfig, chalice_setting
from infra.stacks.layer import ZipSize, compile_app, slim_layer
from infra.stacks.queues import WorkQueue

API_HANDLER = 'APIHandler'  # Chalice's logical id for the REST API's function
REST_API = 'RestAPI'  # ... and for the API itself


class _StagedChalice(Chalice):
    """Chalice's construct, with the Chalice stage pinned to Hadir's stage.

    The stock construct names the Chalice stage after `scope.to_string()` (the construct path, e.g.
    'hadir-dev/Functions'), which is not a stage of .chalice/config.json and not a valid layer name.
    It also imports app.py in this process: each stage gets a fresh import under its own environment,
    and the process's environment is restored afterwards. The zips it builds get bytecode, and the layer
    leaves out what the Lambda runtime provides (layer.py). Pinned to chalice==1.34.0 (infra/requirements.txt).
    """

    def __init__(self, scope: Construct, construct_id: str, *, stage: str, **kwargs: Any) -> None:
        self._hadir_stage = stage
        self.sam: dict[str, Any] = {}
        self.layer_sizes: tuple[ZipSize, ZipSize] | None = None  # before and after slim_layer
        super().__init__(scope, construct_id, **kwargs)

    def _package_app(self) -> None:
        self.stage_name = self._hadir_stage
        for module in [m for m in sys.modules if m == 'app' or m == 'chalicelib' or m.startswith('chalicelib.')]:
            del sys.modules[module]
        saved = dict(os.environ)
        try:
            super()._package_app()
        finally:
            os.environ.clear()
            os.environ.update(saved)
        package = Path(self._sam_package_dir)
        compile_app(package / 'deployment.zip')
        if (package / 'layer-deployment.zip').exists():
            self.layer_sizes = slim_layer(package / 'layer-deployment.zip')

    def _generate_sam_template_with_assets(self, chalice_out_dir: str, package_id: str) -> str:
        path: str = super()._generate_sam_template_with_assets(chalice_out_dir, package_id)
        sam = json.loads(Path(path).read_text())
        # Chalice 1.34 writes the REST handler's log group as /aws/lambda/${ApiHandler} and then renames the
        # function to APIHandler, leaving a dangling reference.
        log_group = sam['Resources'].get('ApiHandlerLogGroup', {}).get('Properties', {})
        if log_group.get('LogGroupName') == {'Fn::Sub': '/aws/lambda/${ApiHandler}'}:
            log_group['LogGroupName'] = {'Fn::Sub': f'/aws/lambda/${{{API_HANDLER}}}'}
            Path(path).write_text(json.dumps(sam, indent=2))
        self.sam = sam
        return path


@dataclass(frozen=True)
class AppFunction:
    logical_id: str
    name: str  # kebab case: 'api' or the job's name
    function_name: str
    properties: dict[str, Any]

    @property
    def events(self) -> dict[str, Any]:
        return dict(self.properties.get('Events', {}))

    @property
    def scheduled(self) -> bool:
        return any(e['Type'] == 'Schedule' for e in self.events.values())

    @property
    def timeout(self) -> int:
        return int(self.properties.get('Timeout', 60))

    def sqs_events(self) -> dict[str, str]:
        """Event name -> name of the SQS queue it consumes (Chalice writes the queue's ARN with Fn::Sub)."""
        found = {}
        for event_name, event in self.events.items():
            if event['Type'] == 'SQS':
                arn = event['Properties']['Queue']
                text = arn.get('Fn::Sub', '') if isinstance(arn, dict) else str(arn)
                found[event_name] = text.rsplit(':', 1)[-1]
        return found

    def queues(self) -> tuple[str, ...]:
        """Names of the SQS queues this function consumes."""
        return tuple(self.sqs_events().values())


def kebab(logical_id: str) -> str:
    """Chalice's CamelCase logical id back to the function's name: AuditVerify -> audit-verify."""
    if logical_id == API_HANDLER:
        return 'api'
    return re.sub(r'(?<=[a-z0-9])(?=[A-Z])', '-', logical_id).lower()


class HadirFunctions(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        bucket_suffix: str,
        targets: access.Targets,
        queues: Mapping[str, WorkQueue],  # by name: the queues the app's SQS consumers may read
        jobs_dead_letter_arn: str,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.config = config
        self.api_stage: str = chalice_setting(config.stage, 'api_gateway_stage', 'api')
        api_name = names.function_name(config.stage, 'api')
        self.api_role = self._role(
            'ApiRole', access.statements(stack, function_name=api_name, access=access.API, targets=targets)
        )
        self.chalice = _StagedChalice(
            self,
            'App',
            stage=config.stage,
            source_dir=str(REPO_ROOT),
            stage_config={
                'api_gateway_stage': self.api_stage,
                # Users are in Indonesia, next to the home region: a regional endpoint; the web app reaches it through
                # its CloudFront distribution (web.py), other callers directly.
                'api_gateway_endpoint_type': 'REGIONAL',
                'manage_iam_role': False,
                'iam_role_arn': self.api_role.role_arn,
                'autogen_policy': False,
                'xray': True,
                'log_retention_in_days': config.log_retention_days,
                'environment_variables': self.environment(config, bucket_suffix),
            },
        )
        self.functions: list[AppFunction] = []
        for logical_id, resource in sorted(self.chalice.sam['Resources'].items()):
            if resource['Type'] != 'AWS::Serverless::Function':
                continue
            name = kebab(logical_id)
            function = AppFunction(logical_id, name, names.function_name(config.stage, name), resource['Properties'])
            self.functions.append(function)
            cfn = self.resource(logical_id)
            cfn.add_property_override('FunctionName', function.function_name)
            for event_name, queue_name in function.sqs_events().items():
                self._attach_queue(cfn, logical_id, event_name, function.timeout, queues.get(queue_name), queue_name)
            if logical_id == API_HANDLER:
                continue
            role = self._role(
                f'{logical_id}Role',
                access.statements(
                    stack,
                    function_name=function.function_name,
                    access=access.profile_for(name),
                    targets=targets,
                    consumes=function.queues(),
                    dead_letter_queue_arn=jobs_dead_letter_arn if function.scheduled else None,
                ),
            )
            cfn.add_property_override('Role', role.role_arn)

    @staticmethod
    def _attach_queue(
        cfn: CfnResource, logical_id: str, event_name: str, timeout: int, queue: WorkQueue | None, queue_name: str
    ) -> None:
        """Check a consumer's queue, and point its event source at it by reference.

        SAM turns the event into the event source mapping; Chalice names the queue by an ARN built from its
        name, which gives CloudFormation no order, so the mapping could be created before the queue. A
        reference (Fn::GetAtt) is the same ARN with the order.
        """
        if queue is None:
            raise ValueError(f'{logical_id} consumes queue {queue_name!r}, which infra/ does not create')
        if queue.visibility_timeout < 6 * timeout:
            raise ValueError(f'{queue_name}: visibility timeout must be >= 6 x {logical_id} timeout')
        path = f'Events.{event_name}.Properties'
        cfn.add_property_override(f'{path}.Queue', queue.queue.queue_arn)
        if queue.maximum_concurrency is not None:
            cfn.add_property_override(f'{path}.ScalingConfig', {'MaximumConcurrency': queue.maximum_concurrency})

    @staticmethod
    def environment(config: StageConfig, bucket_suffix: str) -> dict[str, str]:
        """What chalicelib/settings.py reads (HADIR_*), so the app derives exactly infra's resource names."""
        return {
            'HADIR_STAGE': config.stage,
            'HADIR_REGION': config.region,
            'HADIR_REKOGNITION_REGION': config.rekognition_region,
            'HADIR_BUCKET_SUFFIX': bucket_suffix,
            'HADIR_MAX_JSON_BODY_BYTES': str(config.max_json_body_bytes),
            'HADIR_MAX_IMPORT_BODY_BYTES': str(config.max_import_body_bytes),
            'POWERTOOLS_SERVICE_NAME': names.APP_NAME,
            'POWERTOOLS_METRICS_NAMESPACE': names.METRICS_NAMESPACE,
            'POWERTOOLS_LOG_LEVEL': 'INFO',
        }

    def _role(self, construct_id: str, statements: list[iam.PolicyStatement]) -> iam.Role:
        # Inline, so the policy exists before the function does (no race with a separate AWS::IAM::Policy).
        return iam.Role(
            self,
            construct_id,
            assumed_by=iam.ServicePrincipal('lambda.amazonaws.com'),
            inline_policies={'hadir': iam.PolicyDocument(statements=statements)},
        )

    def resource(self, logical_id: str) -> CfnResource:
        resource: CfnResource = self.chalice.get_resource(logical_id)
        return resource

    @property
    def scheduled(self) -> list[AppFunction]:
        return [f for f in self.functions if f.scheduled]

    @property
    def consumers(self) -> list[AppFunction]:
        return [f for f in self.functions if f.queues()]
