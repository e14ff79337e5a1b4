"""The Rekognition face collection, in the Rekognition region, created and deleted with the stack."""

from __future__ import annotations

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import custom_resources as cr
from constructs import Construct

from chalicelib import resource_names as names
from infra.stacks import arns
from infra.stacks.config import StageConfig


class FaceCollection(Construct):
    """Rekognition is not offered in ap-southeast-3, so the collection lives in `rekognition_region`.

    CloudFormation has no cross-region resource, so an AwsCustomResource calls CreateCollection /
    DeleteCollection there; its role may do exactly that on exactly this collection.
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        self.collection_id = names.face_collection_id(config.stage)
        self.region = config.rekognition_region
        self.arn = arns.face_collection(Stack.of(self), self.region, self.collection_id)

        def call(action: str, ignore: str) -> cr.AwsSdkCall:
            return cr.AwsSdkCall(
                service='Rekognition',
                action=action,
                parameters={'CollectionId': self.collection_id},
                region=self.region,
                physical_resource_id=cr.PhysicalResourceId.of(self.collection_id),
                ignore_error_codes_matching=ignore,
            )

        self.resource = cr.AwsCustomResource(
            self,
            'Collection',
            resource_type='Custom::RekognitionCollection',
            # A collection kept from an earlier stack (prod retains it) is adopted, not an error.
            on_create=call('CreateCollection', 'ResourceAlreadyExistsException'),
            on_delete=call('DeleteCollection', 'ResourceNotFoundException'),
            policy=cr.AwsCustomResourcePolicy.from_statements(
                [
                    iam.PolicyStatement(
                        actions=['rekognition:CreateCollection', 'rekognition:DeleteCollection'],
                        resources=[self.arn],
                    )
                ]
            ),
            install_latest_aws_sdk=False,  # never download an SDK at deploy time; the Lambda runtime's suffices
            # Enrolled faces are data: prod keeps the collection when the stack goes, as it keeps the tables.
            removal_policy=RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY,
        )
