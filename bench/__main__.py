"""`make bench`: run every benchmark; each writes bench/results/<name>.json and prints one line."""

from __future__ import annotations

from bench import allowance, directory_api

BENCHMARKS = (directory_api.main, allowance.main)

if __name__ == '__main__':
    for benchmark in BENCHMARKS:
        benchmark()
