"""ARNs built from the shared resource names, so IAM grants read as what they allow (no logical ids)."""

from __future__ import annotations

from aws_cdk import ArnFormat, Aws, Stack


def s3_bucket(bucket_name: str) -> str:
    return f'arn:{Aws.PARTITION}:s3:::{bucket_name}'


def s3_objects(bucket_name: str, prefix: str = '') -> str:
    return f'{s3_bucket(bucket_name)}/{prefix}*'


def table(stack: Stack, table_name: str) -> str:
    return stack.format_arn(service='dynamodb', resource='table', resource_name=table_name)


def table_index(stack: Stack, table_name: str, index_name: str) -> str:
    return f'{table(stack, table_name)}/index/{index_name}'


def queue(stack: Stack, queue_name: str) -> str:
    return stack.format_arn(service='sqs', resource=queue_name, arn_format=ArnFormat.NO_RESOURCE_NAME)


def log_streams(stack: Stack, log_group: str) -> str:
    return stack.format_arn(
        service='logs', resource='log-group', resource_name=f'{log_group}:*', arn_format=ArnFormat.COLON_RESOURCE_NAME
    )


def face_collection(stack: Stack, region: str, collection_id: str) -> str:
    return stack.format_arn(service='rekognition', region=region, resource='collection', resource_name=collection_id)
