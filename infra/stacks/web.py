"""The PWA and the console: a private S3 bucket behind CloudFront (origin access control); the whole web/ folder
(the phone app, web/admin/ and web/shared/) is deployed if it exists.

The same distribution passes /v1/* to the REST API, so the app calls its own origin and the API needs no CORS.
The files are served with a strict Content-Security-Policy (no inline script or style, no other origin but the
media bucket's selfies as images), HSTS, nosniff, no referrer and no framing (``security_headers``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from aws_cdk import Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from chalicelib import resource_names as names
from infra.stacks.api import ApiEdge
from infra.stacks.config import StageConfig
from infra.stacks.nag import acknowledge

API_PATH_PATTERN = '/v1/*'  # web/js/api.js calls the page's own origin; sw.js never caches these paths
# The error codes CloudFront holds for GET and HEAD whatever the cache policy (10 s unless told): at 0 a revoked
# phone's 403 on GET /v1/mobile/me never answers the next phone, nor a 503 outlive its cause. 416 it never caches.
_CACHED_ERROR_CODES = (400, 403, 404, 405, 414, 500, 501, 502, 503, 504)
# The screens are hash routes; a path whose last segment has no extension is the one page. A viewer-request
# function instead of custom error pages, which CloudFront applies to every behaviour (API 403/404s included).
# The console (web/admin/) is a page of its own: its paths fall back to its index.html, not the phone app's.
_SPA_FALLBACK = """function handler(event) {
  var request = event.request;
  if (request.uri.indexOf('.', request.uri.lastIndexOf('/')) === -1) {
    var console_path = request.uri === '/admin' || request.uri.indexOf('/admin/') === 0;
    request.uri = console_path ? '/admin/index.html' : '/index.html';
  }
  return request;
}
"""
HSTS_SECONDS = 2 * 365 * 24 * 3600  # two years, as the HSTS preload list asks


def content_security_policy(image_hosts: Sequence[str]) -> str:
    """Only the site's own files run or style the pages; images may also be selfies from the media bucket."""
    images = ' '.join(["'self'", 'data:', 'blob:', *(f'https://{host}' for host in image_hosts)])
    return '; '.join([
        "default-src 'self'", "script-src 'self'", "style-src 'self'", f'img-src {images}', "connect-src 'self'",
        "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "form-action 'self'",
    ])  # fmt: skip


def has_content(web_dir: Path | None) -> bool:
    return web_dir is not None and web_dir.is_dir() and any(p.is_file() for p in web_dir.rglob('*'))


class Web(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        bucket_suffix: str,
        access_logs: s3.IBucket,
        api: ApiEdge,
        image_hosts: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        self.headers = self.security_headers(config, image_hosts)
        self.bucket = s3.Bucket(
            self,
            'WebBucket',
            bucket_name=names.bucket_name(config.stage, names.BUCKET_WEB, bucket_suffix),
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            encryption=s3.BucketEncryption.S3_MANAGED,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix=f's3/{names.BUCKET_WEB}/',
            removal_policy=RemovalPolicy.RETAIN,
        )
        spa_fallback = cloudfront.Function(
            self,
            'SpaFallback',
            function_name=names.resource_name(config.stage, 'web-spa-fallback'),
            comment='Paths without a file extension get index.html (the PWA routes in the browser)',
            code=cloudfront.FunctionCode.from_inline(_SPA_FALLBACK),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
        )
        # Host stays out: API Gateway answers only to its own name. Everything else passes as sent, so the
        # signature (path from /v1 on, body) still verifies, and API keys (X-API-Key: usage plans) still count
        # per caller. The API's WAF and access logs see CloudFront's address instead of the phone's.
        api_origin = origins.HttpOrigin(
            f'{api.api_id}.execute-api.{Stack.of(self).region}.{Aws.URL_SUFFIX}',
            origin_path=f'/{api.stage_name}',
            protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
            origin_ssl_protocols=[cloudfront.OriginSslPolicy.TLS_V1_2],
        )
        self.distribution = cloudfront.Distribution(
            self,
            'Distribution',
            comment=f'Hadir web app: {config.pemda} ({config.stage})',
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=self.headers,
                function_associations=[
                    cloudfront.FunctionAssociation(
                        function=spa_fallback, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST
                    )
                ],
            ),
            additional_behaviors={
                API_PATH_PATTERN: cloudfront.BehaviorOptions(
                    origin=api_origin,
                    # A redirected POST would arrive as a GET without its body.
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                    allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                    cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                    origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
                    response_headers_policy=cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS,
                )
            },
            default_root_object='index.html',
            error_responses=[
                cloudfront.ErrorResponse(http_status=status, ttl=Duration.seconds(0)) for status in _CACHED_ERROR_CODES
            ],
            price_class=cloudfront.PriceClass.PRICE_CLASS_200,  # includes the edge locations in Indonesia
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            enable_logging=True,
            log_bucket=access_logs,
            log_file_prefix='cloudfront/',
        )
        acknowledge(
            self.distribution,
            'AwsSolutions-CFR1',
            'No geo restriction: staff on official duty (DL) outside Indonesia must still reach the web app '
            'and its API (/v1/*); the API has WAF rate limits.',
        )
        acknowledge(
            self.distribution,
            'AwsSolutions-CFR2',
            'The distribution serves static files, and passes /v1/* uncached to the API, whose regional WAF '
            'inspects every request that way too; CloudFront WAF ACLs would have to live in us-east-1.',
        )
        acknowledge(
            self.distribution,
            'AwsSolutions-CFR4',
            'Until the pemda attaches its own domain and ACM certificate (docs/deploy.md), the distribution '
            'uses the default *.cloudfront.net certificate, whose TLS policy CloudFront fixes.',
        )
        self.deployment: s3deploy.BucketDeployment | None = None
        if has_content(config.web_dir):
            assert config.web_dir is not None
            self.deployment = s3deploy.BucketDeployment(
                self,
                'Content',
                sources=[s3deploy.Source.asset(str(config.web_dir))],
                destination_bucket=self.bucket,
                distribution=self.distribution,
                distribution_paths=['/*'],
                memory_limit=256,
            )
            # The deployment's handler is a singleton at the stack's root, not under this construct.
            for child in Stack.of(self).node.children:
                if child.node.id.startswith('Custom::CDKBucketDeployment'):
                    acknowledge(
                        child,
                        'AwsSolutions-L1',
                        "CDK's own BucketDeployment handler: aws-cdk-lib pins its runtime and moves it forward "
                        'with each release (infra/requirements.txt).',
                    )

    def security_headers(self, config: StageConfig, image_hosts: Sequence[str]) -> cloudfront.ResponseHeadersPolicy:
        return cloudfront.ResponseHeadersPolicy(
            self,
            'SecurityHeaders',
            response_headers_policy_name=names.resource_name(config.stage, 'web-security-headers'),
            comment='Hadir web app and console: strict CSP, HSTS, nosniff, no referrer, no framing',
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=content_security_policy(image_hosts), override=True
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.seconds(HSTS_SECONDS),
                    include_subdomains=True,
                    preload=True,
                    override=True,
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.NO_REFERRER, override=True
                ),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
            ),
        )

    @property
    def url(self) -> str:
        return f'https://{self.distribution.distribution_domain_name}'
