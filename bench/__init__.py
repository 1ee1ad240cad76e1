"""The benchmark suite: ``python -m bench.run [--quick] [--json FILE]`` (see docs/benchmarks.md)."""
