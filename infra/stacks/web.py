"""The PWA: a private S3 bucket behind CloudFront (origin access control); content deployed if web/ exists."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from chalicelib import resource_names as names
from infra.stacks.config import StageConfig
from infra.stacks.nag import acknowledge


def has_content(web_dir: Path | None) -> bool:
    return web_dir is not None and web_dir.is_dir() and any(p.is_file() for p in web_dir.rglob('*'))


class Web(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: StageConfig, bucket_suffix: str, access_logs: s3.IBucket
    ) -> None:
        super().__init__(scope, construct_id)
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
        # The PWA routes in the browser: unknown paths get index.html.
        spa_fallback = [
            cloudfront.ErrorResponse(
                http_status=status, response_http_status=200, response_page_path='/index.html', ttl=Duration.seconds(0)
            )
            for status in (403, 404)
        ]
        self.distribution = cloudfront.Distribution(
            self,
            'Distribution',
            comment=f'Hadir web app: {config.pemda} ({config.stage})',
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS,
            ),
            default_root_object='index.html',
            error_responses=spa_fallback,
            price_class=cloudfront.PriceClass.PRICE_CLASS_200,  # includes the edge locations in Indonesia
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            enable_logging=True,
            log_bucket=access_logs,
            log_file_prefix='cloudfront/',
        )
        acknowledge(
            self.distribution,
            'AwsSolutions-CFR1',
            'No geo restriction: staff on official duty (DL) outside Indonesia must still reach the web app; '
            'the API behind it has WAF rate limits.',
        )
        acknowledge(
            self.distribution,
            'AwsSolutions-CFR2',
            'The distribution serves static files only; CloudFront WAF ACLs must live in us-east-1, and the '
            'API (the dynamic part) has its own regional WAF.',
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

    @property
    def url(self) -> str:
        return f'https://{self.distribution.distribution_domain_name}'
