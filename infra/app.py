"""Hadir's CDK app. `make synth` runs it; `cdk deploy --app cdk.out` deploys what it wrote.

Each stage is two stacks: `hadir-<stage>` in the home region, and `hadir-<stage>-rekognition` (alarms that
must live in the Rekognition region), which `hadir-<stage>` depends on, so deploying it deploys both.

    python app.py [stage=dev|prod] [pemda=...] [zone=Asia/Jakarta] [alarm_email=...] [finance_email=...]
                  [account=...]

The same keys work as CDK context (`cdk synth -c key=value`, or CDK_CONTEXT_JSON); without `stage`
every stage is synthesised. Output goes to $CDK_OUTDIR, else infra/cdk.out. See docs/deploy.md.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

INFRA_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(INFRA_DIR.parent))  # the repo root: chalicelib.resource_names and infra.stacks

import aws_cdk as cdk  # noqa: E402
from cdk_nag import AwsSolutionsChecks  # noqa: E402

from infra.stacks.config import CONTEXT_KEYS, stage_configs  # noqa: E402
from infra.stacks.hadir_stack import HadirStack  # noqa: E402
from infra.stacks.nag import acknowledge_justified_iam  # noqa: E402
from infra.stacks.rekognition_region import RekognitionRegionStack  # noqa: E402


def _arguments(argv: list[str]) -> dict[str, str]:
    parsed = dict(arg.split('=', 1) for arg in argv if '=' in arg)
    unknown = sorted(set(parsed) - set(CONTEXT_KEYS)) + [a for a in argv if '=' not in a]
    if unknown:
        raise SystemExit(f'unknown arguments {unknown}; expected key=value with keys {CONTEXT_KEYS}')
    return {k: v for k, v in parsed.items() if v}


def main(argv: list[str]) -> None:
    # cdk.json's context (feature flags) also when run without the CDK CLI; the CLI's -c values win.
    defaults = json.loads((INFRA_DIR / 'cdk.json').read_text()).get('context', {})
    app = cdk.App(
        context={**defaults, **_arguments(argv)}, outdir=os.environ.get('CDK_OUTDIR', str(INFRA_DIR / 'cdk.out'))
    )
    configs = stage_configs(app.node.try_get_context, default_account=os.environ.get('CDK_DEFAULT_ACCOUNT'))
    # Chalice's packager needs a region to name service principals; no AWS call is made.
    os.environ.setdefault('AWS_DEFAULT_REGION', configs[0].region)
    for config in configs:
        rekognition = RekognitionRegionStack(app, config)
        HadirStack(app, config).add_stack_dependency(rekognition, 'its Rekognition alarms deploy with the stage')
    acknowledge_justified_iam(app)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    app.synth()
    # Chalice packages into ./chalice.out (two zips per stage); CDK has copied them into the assembly.
    shutil.rmtree(Path.cwd() / 'chalice.out', ignore_errors=True)


if __name__ == '__main__':
    main(sys.argv[1:])
