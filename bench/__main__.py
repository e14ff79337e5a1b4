"""`make bench`: run every benchmark; each writes bench/results/<name>.json and prints one line."""

from __future__ import annotations

from bench import directory_api

BENCHMARKS = (directory_api.main,)

if __name__ == '__main__':
    for benchmark in BENCHMARKS:
        benchmark()
