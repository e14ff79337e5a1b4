"""`make bench`: run every benchmark; each writes bench/results/<name>.json and prints one line."""

from __future__ import annotations

from bench import allowance, checkin, cold_start, console, directory_api, face_gate, ingest, recap

BENCHMARKS = (
    directory_api.main,
    allowance.main,
    recap.main,
    ingest.main,
    checkin.main,
    cold_start.main,
    console.main,
    face_gate.main,
)

if __name__ == '__main__':
    for benchmark in BENCHMARKS:
        benchmark()
