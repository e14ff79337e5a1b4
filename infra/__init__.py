"""Hadir's CDK app: `python infra/app.py` synthesises it; see docs/deploy.md."""
