"""The REST API's edge: access logs, throttling, a usage plan for API Gateway keys, WAF with size limits."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import Aws, Fn, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as waf
from constructs import Construct

from chalicelib import resource_names as names
from infra.stacks.config import IMPORT_PATHS, LARGE_JSON_PATHS, MOBILE_PATH_MARK, StageConfig, waf_path_suffix
from infra.stacks.functions import REST_API, HadirFunctions
from infra.stacks.nag import acknowledge

RETENTION = {
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
}
# One JSON line per request; no headers, so API keys and bearer tokens never reach the logs.
ACCESS_LOG_FORMAT = {
    'requestId': '$context.requestId',
    'ip': '$context.identity.sourceIp',
    'requestTime': '$context.requestTime',
    'httpMethod': '$context.httpMethod',
    'resourcePath': '$context.resourcePath',
    'status': '$context.status',
    'protocol': '$context.protocol',
    'responseLength': '$context.responseLength',
    'integrationLatency': '$context.integrationLatency',
    'wafResponse': '$context.wafResponseCode',
    'userAgent': '$context.identity.userAgent',
}
_STAGE_REF_REASON = (
    'RestAPI.Stage is the SAM reference to the stage of the AWS::Serverless::Api Chalice generates; the SAM '
    "transform resolves it (and orders this resource after the stage). CDK's validator does not know SAM."
)
# What API Gateway answers by itself, before the app runs, in the app's one error shape (chalicelib/api/errors.py):
# response type -> (status, or None to keep API Gateway's, code, message, or None for API Gateway's own words).
# An unknown route or a method a route lacks is MISSING_AUTHENTICATION_TOKEN, by default "403 Missing
# Authentication Token": it is the API's 404 not_found, as `make run` answers it (hadir_local/web_server.py).
GATEWAY_ERRORS: dict[str, tuple[int | None, str, str | None]] = {
    'MISSING_AUTHENTICATION_TOKEN': (404, 'not_found', 'there is no such route in this API; see /v1/openapi.json'),
    'RESOURCE_NOT_FOUND': (404, 'not_found', 'there is no such route in this API; see /v1/openapi.json'),
    'THROTTLED': (429, 'too_many_requests', 'too many requests; try again in a moment'),
    'QUOTA_EXCEEDED': (429, 'too_many_requests', "this integration's monthly quota is used up"),
    'WAF_FILTERED': (403, 'forbidden', 'the request was refused by the firewall (its size or content)'),
    'REQUEST_TOO_LARGE': (413, 'payload_too_large', 'the request body is larger than the API accepts'),
    'UNSUPPORTED_MEDIA_TYPE': (415, 'unsupported_media_type', None),
    'DEFAULT_4XX': (None, 'request_refused', None),
    'DEFAULT_5XX': (None, 'internal_error', None),
}


def gateway_responses() -> dict[str, Any]:
    """SAM's GatewayResponses of the REST API: every answer of API Gateway's own in the one error shape."""
    responses: dict[str, Any] = {}
    for response_type, (status, code, message) in GATEWAY_ERRORS.items():
        words = json.dumps(message) if message else '$context.error.messageString'
        body = f'{{"error": {{"code": "{code}", "message": {words}, "request_id": "$context.requestId"}}}}'
        response: dict[str, Any] = {
            'ResponseTemplates': {'application/json': body},
            'ResponseParameters': {'Headers': {'X-Content-Type-Options': "'nosniff'"}},
        }
        if status is not None:
            response['StatusCode'] = str(status)
        responses[response_type] = response
    return responses


# WAF inspects at most this much of a body; the JSON limit must fit in it (API Gateway allows up to 64 KB).
_INSPECTION_LIMITS = {16 * 1024: 'KB_16', 32 * 1024: 'KB_32', 48 * 1024: 'KB_48', 64 * 1024: 'KB_64'}


def _escape_path(path: str) -> str:
    return '/' + path.replace('~', '~0').replace('/', '~1')


class ApiEdge(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig, functions: HadirFunctions) -> None:
        super().__init__(scope, construct_id)
        self.config = config
        self.api_name = names.resource_name(config.stage, 'api')
        self.stage_name = functions.api_stage
        rest_api = functions.resource(REST_API)
        self.api_id = rest_api.ref
        self.stage_ref = Fn.ref(f'{REST_API}.Stage')  # SAM's reference to the stage it generates

        # API Gateway writes logs through one account-wide role per region (AWS::ApiGateway::Account).
        cloudwatch_role = iam.Role(
            self,
            'CloudWatchRole',
            assumed_by=iam.ServicePrincipal('apigateway.amazonaws.com'),
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name('service-role/AmazonAPIGatewayPushToCloudWatchLogs')
            ],
        )
        account = apigw.CfnAccount(self, 'Account', cloud_watch_role_arn=cloudwatch_role.role_arn)
        rest_api.add_resource_dependency(account)

        self.access_logs = logs.LogGroup(
            self,
            'AccessLogs',
            log_group_name=f'/aws/apigateway/{self.api_name}',
            retention=RETENTION[config.log_retention_days],
            removal_policy=RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY,
        )
        rest_api.add_property_override('Name', self.api_name)
        rest_api.add_property_override('TracingEnabled', True)
        rest_api.add_property_override(
            'AccessLogSetting',
            {'DestinationArn': self.access_logs.log_group_arn, 'Format': json.dumps(ACCESS_LOG_FORMAT)},
        )
        method_settings = [
            {
                'ResourcePath': '/*',
                'HttpMethod': '*',
                'ThrottlingRateLimit': config.api_rate_limit,
                'ThrottlingBurstLimit': config.api_burst_limit,
                'LoggingLevel': 'ERROR',
                'MetricsEnabled': True,
                'DataTraceEnabled': False,  # full request logging would write bodies (personal data) to logs
            }
        ]
        for path in IMPORT_PATHS:
            method_settings.append(
                {
                    'ResourcePath': _escape_path(path),
                    'HttpMethod': 'POST',
                    'ThrottlingRateLimit': config.import_rate_limit,
                    'ThrottlingBurstLimit': config.import_burst_limit,
                    'LoggingLevel': 'ERROR',
                    'MetricsEnabled': True,
                    'DataTraceEnabled': False,
                }
            )
        rest_api.add_property_override('MethodSettings', method_settings)
        rest_api.add_property_override('GatewayResponses', gateway_responses())

        # Applies to methods that require an API Gateway key (integrations such as e-kinerja); Hadir's own
        # hdr_ keys are checked by the app, and every caller is held to the stage throttling above.
        self.usage_plan = apigw.CfnUsagePlan(
            self,
            'UsagePlan',
            usage_plan_name=names.resource_name(config.stage, 'integrations'),
            description='Hadir integrations using API Gateway keys',
            api_stages=[apigw.CfnUsagePlan.ApiStageProperty(api_id=self.api_id, stage=self.stage_ref)],
            throttle=apigw.CfnUsagePlan.ThrottleSettingsProperty(
                rate_limit=config.api_rate_limit / 4, burst_limit=config.api_burst_limit // 4
            ),
            quota=apigw.CfnUsagePlan.QuotaSettingsProperty(limit=config.usage_plan_monthly_quota, period='MONTH'),
        )
        acknowledge(self.usage_plan, 'CloudFormation-Validate::F1020', _STAGE_REF_REASON)
        self.web_acl = self._web_acl()

    def _web_acl(self) -> waf.CfnWebACL:
        config = self.config
        limit = next((k for k in sorted(_INSPECTION_LIMITS) if k >= config.max_json_body_bytes), None)
        if limit is None:
            raise ValueError('max_json_body_bytes exceeds what WAF can inspect for API Gateway (64 KB)')

        def visibility(metric: str) -> waf.CfnWebACL.VisibilityConfigProperty:
            return waf.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
            )

        matches = [
            waf.CfnWebACL.StatementProperty(
                byte_match_statement=waf.CfnWebACL.ByteMatchStatementProperty(
                    field_to_match=waf.CfnWebACL.FieldToMatchProperty(uri_path={}),
                    positional_constraint='ENDS_WITH',  # the URI path WAF sees starts with the stage
                    search_string=path,
                    text_transformations=[waf.CfnWebACL.TextTransformationProperty(priority=0, type='NONE')],
                )
            )
            for path in IMPORT_PATHS
        ]
        is_import = (
            matches[0]
            if len(matches) == 1
            else waf.CfnWebACL.StatementProperty(or_statement=waf.CfnWebACL.OrStatementProperty(statements=matches))
        )
        not_import = waf.CfnWebACL.StatementProperty(
            not_statement=waf.CfnWebACL.NotStatementProperty(statement=is_import)
        )

        def path_match(path: str, position: str) -> waf.CfnWebACL.StatementProperty:
            return waf.CfnWebACL.StatementProperty(
                byte_match_statement=waf.CfnWebACL.ByteMatchStatementProperty(
                    field_to_match=waf.CfnWebACL.FieldToMatchProperty(uri_path={}),
                    positional_constraint=position,
                    search_string=path,
                    text_transformations=[waf.CfnWebACL.TextTransformationProperty(priority=0, type='NONE')],
                )
            )

        large_bodies = [path_match(waf_path_suffix(path), 'ENDS_WITH') for path in (*IMPORT_PATHS, *LARGE_JSON_PATHS)]
        not_large_body = waf.CfnWebACL.StatementProperty(
            not_statement=waf.CfnWebACL.NotStatementProperty(
                statement=waf.CfnWebACL.StatementProperty(
                    or_statement=waf.CfnWebACL.OrStatementProperty(statements=large_bodies)
                )
            )
        )
        not_mobile = waf.CfnWebACL.StatementProperty(
            not_statement=waf.CfnWebACL.NotStatementProperty(statement=path_match(MOBILE_PATH_MARK, 'CONTAINS'))
        )
        body_too_large = waf.CfnWebACL.StatementProperty(
            size_constraint_statement=waf.CfnWebACL.SizeConstraintStatementProperty(
                comparison_operator='GT',
                size=config.max_json_body_bytes,
                field_to_match=waf.CfnWebACL.FieldToMatchProperty(
                    body=waf.CfnWebACL.BodyProperty(oversize_handling='MATCH')
                ),
                text_transformations=[waf.CfnWebACL.TextTransformationProperty(priority=0, type='NONE')],
            )
        )

        def managed(name: str, priority: int, **group: Any) -> waf.CfnWebACL.RuleProperty:
            return waf.CfnWebACL.RuleProperty(
                name=name,
                priority=priority,
                override_action=waf.CfnWebACL.OverrideActionProperty(none={}),
                statement=waf.CfnWebACL.StatementProperty(
                    managed_rule_group_statement=waf.CfnWebACL.ManagedRuleGroupStatementProperty(
                        vendor_name='AWS', name=name, **group
                    )
                ),
                visibility_config=visibility(name),
            )

        acl = waf.CfnWebACL(
            self,
            'WebAcl',
            name=f'{self.api_name}-waf',
            scope='REGIONAL',
            default_action=waf.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=visibility(f'{self.api_name}-waf'),
            association_config=waf.CfnWebACL.AssociationConfigProperty(
                request_body={
                    'API_GATEWAY': waf.CfnWebACL.RequestBodyAssociatedResourceTypeConfigProperty(
                        default_size_inspection_limit=_INSPECTION_LIMITS[limit]
                    )
                }
            ),
            rules=[
                waf.CfnWebACL.RuleProperty(
                    name='rate-per-ip',
                    priority=0,
                    action=waf.CfnWebACL.RuleActionProperty(block={}),
                    statement=waf.CfnWebACL.StatementProperty(
                        rate_based_statement=waf.CfnWebACL.RateBasedStatementProperty(
                            limit=config.waf_requests_per_ip,
                            aggregate_key_type='IP',
                            evaluation_window_sec=300,
                            scope_down_statement=not_mobile,
                        )
                    ),
                    visibility_config=visibility('rate-per-ip'),
                ),
                waf.CfnWebACL.RuleProperty(
                    name='json-body-size',
                    priority=1,
                    action=waf.CfnWebACL.RuleActionProperty(block={}),
                    statement=waf.CfnWebACL.StatementProperty(
                        and_statement=waf.CfnWebACL.AndStatementProperty(statements=[body_too_large, not_large_body])
                    ),
                    visibility_config=visibility('json-body-size'),
                ),
                managed('AWSManagedRulesKnownBadInputsRuleSet', 2),
                # The common rule set's body rules would misread CSV/XLSX imports; imports skip it and the
                # size rule above replaces its 8 KB body limit.
                managed(
                    'AWSManagedRulesCommonRuleSet',
                    3,
                    scope_down_statement=not_import,
                    rule_action_overrides=[
                        waf.CfnWebACL.RuleActionOverrideProperty(
                            name='SizeRestrictions_BODY', action_to_use=waf.CfnWebACL.RuleActionProperty(count={})
                        )
                    ],
                ),
            ],
        )
        stage_arn = Fn.join(
            '',
            [
                'arn:',
                Aws.PARTITION,
                ':apigateway:',
                Aws.REGION,
                '::/restapis/',
                self.api_id,
                '/stages/',
                self.stage_ref,
            ],
        )
        association = waf.CfnWebACLAssociation(
            self, 'WebAclAssociation', resource_arn=stage_arn, web_acl_arn=acl.attr_arn
        )
        acknowledge(association, 'CloudFormation-Validate::F1020', _STAGE_REF_REASON)
        return acl
