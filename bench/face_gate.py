"""The face quality gate on the shared public face set (../shared/faces): which photos it passes, and why it
refuses the others, with the offline dlib engine at the shipped thresholds. Not a timing: the reasons a real
employee would be told, counted (issue 12, "honest refusals")."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / 'results'
FACES = Path(__file__).resolve().parents[2] / 'shared' / 'faces'


def main() -> dict[str, Any]:
    from chalicelib.domain.faces import QualityGate, quality_problems
    from hadir_local.dlib_faces import DlibFaceEngine

    engine, gate = DlibFaceEngine(), QualityGate()
    photos = sorted(p for p in FACES.iterdir() if p.suffix.lower() in {'.jpg', '.jpeg', '.png'})
    reasons: Counter[str] = Counter()
    per_photo: dict[str, list[str]] = {}
    for photo in photos:
        problems = quality_problems(engine.detect(photo.read_bytes()), gate)
        per_photo[photo.name] = [p.code for p in problems]
        reasons.update({p.code for p in problems} or {'passed'})
    result = {
        'benchmark': 'face_gate',
        'photos': len(photos),
        'passed': reasons.get('passed', 0),
        'refused_by_reason': {k: v for k, v in sorted(reasons.items()) if k != 'passed'},
        'per_photo': per_photo,
        'gate': gate.__dict__,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / 'face_gate.json').write_text(json.dumps(result, indent=2) + '\n')
    refused = ', '.join(f'{k} {v}' for k, v in result['refused_by_reason'].items()) or 'none'
    print(
        f'face_gate: {len(photos)} shared photos through the quality gate (dlib): {result["passed"]} pass; '
        f'refused by reason: {refused}'
    )
    return result


if __name__ == '__main__':
    main()
