"""Provider selection time per ModelDeployment with the five shipped providers (target: 50 µs).

Every timed call gets its own freshly parsed ModelDeployment, as each reconcile does. The compile
cache (one program per rule text) and the plan cache (candidates and ordered rules per provider
set) are warm, as in a running operator. Two figures per scenario: "shapes repeat" with the
engine's bound-value cache warm (deployments share the part of the spec rules look at), and
"every spec new" with that cache off (each selection converts its value for cel-cpp). Also the
parts: building the CEL input and binding plus evaluating the rules (the CEL library's share).

Usage: python -m benchmarks.selection [--selections 20000] [--clock wall|cpu] [--cel-python]
`--cel-python` also times the shipped rules on cel-python (if installed) for comparison.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from airunway_operator.api.constants import EngineType
from airunway_operator.api.modeldeployment import ModelDeployment
from airunway_operator.api.providerconfig import InferenceProviderConfig
from airunway_operator.selection import cel, celinput, engine, provider
from airunway_operator.selection.cel import Program
from tests.unit.selection.builders import shipped, shipped_bodies

SCENARIOS: dict[str, dict[str, Any]] = {
    "no engine, no resources -> kaito": {},
    "vllm, webhook GPU 1 -> dynamo": {"engine": {"type": "vllm"}},
    "vllm, 2 GPUs -> kuberay": {"engine": {"type": "vllm"}, "resources": {"gpu": {"count": 2}}},
    "vllm disaggregated -> dynamo": {
        "engine": {"type": "vllm"},
        "serving": {"mode": "disaggregated"},
        "scaling": {"prefill": {"gpu": {"count": 1}}, "decode": {"gpu": {"count": 1}}},
    },
    "sglang -> dynamo": {"engine": {"type": "sglang"}},
    "vllm, everything set -> kuberay": {
        "model": {
            "id": "Qwen/Qwen3-8B",
            "servedName": "qwen",
            "storage": {"volumes": [{"name": "cache", "purpose": "modelCache", "size": "100Gi"}]},
        },
        "engine": {"type": "vllm", "contextLength": 8192, "args": {"seed": "1"}, "extraArgs": ["--x"]},
        "resources": {"gpu": {"count": 4}, "memory": "64Gi", "cpu": "8"},
        "provider": {"overrides": {"spec": {"labels": {"team": "a"}, "shards": 2}}},
        "env": [{"name": "HF_HOME", "value": "/model-cache"}],
        "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
        "gateway": {"enabled": True, "modelName": "qwen"},
        "nodeSelector": {"pool": "gpu"},
    },
}


def fresh(spec: dict[str, Any], count: int) -> list[ModelDeployment]:
    body = {"metadata": {"name": "bench"}, "spec": {"model": {"id": "Qwen/Qwen3-0.6B"}} | spec}
    return [ModelDeployment.parse(body) for _ in range(count)]


#: perf_counter_ns (wall clock) by default; --clock cpu switches to thread_time_ns, which leaves
#: out the time this thread waited for a CPU (useful on a busy machine).
CLOCK: Callable[[], int] = time.perf_counter_ns


def timed(call: Callable[[Any], object], inputs: Sequence[Any]) -> list[float]:
    """Microseconds per call, one sample per input."""
    samples = []
    for item in inputs:
        start = CLOCK()
        call(item)
        samples.append((CLOCK() - start) / 1000)
    return samples


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    p50 = ordered[len(ordered) // 2]
    return f"mean {statistics.fmean(samples):7.1f} µs  p50 {p50:7.1f} µs  p99 {p99:7.1f} µs"


def resolved_engine(md: ModelDeployment, configs: Sequence[InferenceProviderConfig]) -> EngineType:
    chosen = engine.select_engine(md, configs)
    assert isinstance(chosen, engine.EngineSelected), chosen
    return chosen.engine


def measure(
    spec: dict[str, Any], configs: Sequence[InferenceProviderConfig], count: int
) -> dict[str, list[float]]:
    deployments = fresh(spec, count)
    resolved = resolved_engine(deployments[0], configs)
    warm, unique = cel.default_engine(), cel.CelExprEngine(bound_cache_size=0)
    expected = provider.select_provider(deployments[0], configs, resolved, warm)
    for md in deployments[:200]:  # warm the compile, plan and bound-value caches
        assert provider.select_provider(md, configs, resolved, warm) == expected
        assert provider.select_provider(md, configs, resolved, unique) == expected
    programs = _shipped_programs(unique)
    fields = cel.referenced_fields(program.text for program in programs)
    values = [celinput.build(md.spec, "bench", resolved, fields) for md in fresh(spec, count)]
    return {
        "select_provider, shapes repeat": timed(
            lambda md: provider.select_provider(md, configs, resolved, warm), deployments
        ),
        "select_provider, every spec new": timed(
            lambda md: provider.select_provider(md, configs, resolved, unique), fresh(spec, count)
        ),
        "select_engine": timed(lambda md: engine.select_engine(md, configs), fresh(spec, count)),
        "celinput.build (fields rules see)": timed(
            lambda md: celinput.build(md.spec, "bench", resolved, fields), fresh(spec, count)
        ),
        "bind + first_match, 7 rules, new": timed(
            lambda value: unique.first_match(programs, unique.bind(value)), values
        ),
    }


def _shipped_programs(cel_engine: cel.CelEngine) -> list[Program]:
    texts = [
        rule["condition"] for body in shipped_bodies() for rule in body["spec"].get("selectionRules", [])
    ]
    return [program for text in texts if isinstance(program := cel_engine.compile(text), Program)]


def cel_python_comparison(count: int) -> None:
    try:
        import celpy  # type: ignore[import-not-found]
    except ImportError:
        print("cel-python is not installed; skipping the comparison")
        return
    env = celpy.Environment()
    texts = [
        rule["condition"] for body in shipped_bodies() for rule in body["spec"].get("selectionRules", [])
    ]
    programs = [env.program(env.compile(text)) for text in texts]
    md = fresh(SCENARIOS["vllm, webhook GPU 1 -> dynamo"], 1)[0]
    value = celinput.build(md.spec, "bench", EngineType.VLLM)

    def all_rules(_: object) -> None:
        activation = {"spec": celpy.json_to_cel(value)}
        for program in programs:
            with contextlib.suppress(Exception):  # an error means "not matched", as in selection
                program.evaluate(activation)

    print(f"cel-python 0.5, 7 shipped rules, one spec: {summary(timed(all_rules, range(count)))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--selections", type=int, default=20000, help="timed selections, split over scenarios"
    )
    parser.add_argument("--cel-python", action="store_true", help="also time cel-python on the shipped rules")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall", help="what a sample measures")
    args = parser.parse_args()
    global CLOCK
    CLOCK = time.thread_time_ns if args.clock == "cpu" else time.perf_counter_ns
    configs = shipped()
    per_scenario = max(1, args.selections // len(SCENARIOS))
    overall: dict[str, list[float]] = {}
    for name, spec in SCENARIOS.items():
        results = measure(spec, configs, per_scenario)
        print(f"{name}:")
        for part in ("select_provider, shapes repeat", "select_provider, every spec new"):
            print(f"  {part:34} {summary(results[part])}")
        for part, samples in results.items():
            overall.setdefault(part, []).extend(samples)
    count = len(overall["select_provider, shapes repeat"])
    print(
        f"\nall scenarios, {count} calls per line (a freshly parsed ModelDeployment each, 5 ready providers):"
    )
    for part, samples in overall.items():
        print(f"  {part:34} {summary(samples)}")
    if args.cel_python:
        cel_python_comparison(min(args.selections, 500))


if __name__ == "__main__":
    main()
