"""1,000 ModelDeployments: operator memory, CPU, requests per object, then requests and CPU at idle.

The burst benchmark (`benchmarks.burst`) at `--count 1000`, followed by the operator's RSS
(VmRSS, and the peak VmHWM, from /proc/<pid>/status) once every object runs, and an idle window
(`--idle`, default 60 s) in which the operator should make only its providers' heartbeat writes
(one per provider per minute) and no reads.

Usage: python -m benchmarks.scale [--count 1000] [--idle 60] [--workers 16]
"""

from __future__ import annotations

import sys

from benchmarks import burst


def main(argv: list[str] | None = None) -> int:
    args = burst.parser("scale", 1000, 60.0, __doc__ or "scale").parse_args(argv)
    try:
        burst.run(args, "scale", memory=True)
    except burst.BenchmarkError as err:
        print(f"\nscale FAILED: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
