"""Pod diagnosis: realistic pod bodies (as the API server returns them for a Direct vLLM Deployment)
→ the one problem the ModelDeployment's status reports."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from airunway_operator.api.constants import Phase
from airunway_operator.core import pod_diagnosis
from airunway_operator.core.pod_diagnosis import PodProblem
from airunway_operator.core.provider_status import Outcome
from providers.base import ProviderStatus

Pod = dict[str, Any]
Modifier = Callable[[Pod], None]

SCHEDULER_MESSAGE = (
    "0/4 nodes are available: 4 node(s) didn't match Pod's node affinity/selector. preemption: "
    "0/4 nodes are available: 4 Preemption is not helpful for scheduling."
)


def pod(name: str, *modifiers: Modifier) -> Pod:
    """A running, ready pod of Deployment `qwen`; modifiers turn it into the case under test."""
    body: Pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": "team-a",
            "generateName": "qwen-6c9f8d7b5-",
            "uid": "2f1c8e4a-9d0b-4c55-a1e2-3b4c5d6e7f80",
            "resourceVersion": "48213",
            "creationTimestamp": "2026-12-04T11:00:00Z",
            "labels": {
                "airunway.ai/deployment": "qwen",
                "app": "qwen",
                "pod-template-hash": "6c9f8d7b5",
                "team": "ml-platform",
            },
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": "qwen-6c9f8d7b5",
                    "uid": "8a7b6c5d-4e3f-2a1b-0c9d-8e7f6a5b4c3d",
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {
            "nodeName": "kwok-gpu-0",
            "containers": [{"name": "vllm", "image": "vllm/vllm-openai:v0.9.1"}],
        },
        "status": {
            "phase": "Running",
            "hostIP": "10.0.0.4",
            "podIP": "10.244.0.17",
            "startTime": "2026-12-04T11:00:01Z",
            "qosClass": "Burstable",
            "conditions": [
                {
                    "type": "PodReadyToStartContainers",
                    "status": "True",
                    "lastTransitionTime": "2026-12-04T11:00:02Z",
                },
                {"type": "Initialized", "status": "True", "lastTransitionTime": "2026-12-04T11:00:01Z"},
                {"type": "Ready", "status": "True", "lastTransitionTime": "2026-12-04T11:00:40Z"},
                {"type": "ContainersReady", "status": "True", "lastTransitionTime": "2026-12-04T11:00:40Z"},
                {"type": "PodScheduled", "status": "True", "lastTransitionTime": "2026-12-04T11:00:00Z"},
            ],
            "containerStatuses": [
                {
                    "name": "vllm",
                    "image": "docker.io/vllm/vllm-openai:v0.9.1",
                    "imageID": "docker.io/vllm/vllm-openai@sha256:0a1b2c",
                    "containerID": "containerd://4f5e6d",
                    "ready": True,
                    "started": True,
                    "restartCount": 0,
                    "state": {"running": {"startedAt": "2026-12-04T11:00:05Z"}},
                }
            ],
        },
    }
    for modify in modifiers:
        modify(body)
    return body


def unschedulable(message: str = SCHEDULER_MESSAGE) -> Modifier:
    def modify(body: Pod) -> None:
        body["spec"].pop("nodeName")
        body["status"] = {
            "phase": "Pending",
            "qosClass": "Burstable",
            "conditions": [
                {
                    "type": "PodScheduled",
                    "status": "False",
                    "reason": "Unschedulable",
                    "message": message,
                    "lastProbeTime": None,
                    "lastTransitionTime": "2026-12-04T11:00:00Z",
                }
            ],
        }

    return modify


def waiting(reason: str, message: str | None = None, *, init: bool = False) -> Modifier:
    def modify(body: Pod) -> None:
        status = body["status"]
        status["phase"] = "Pending" if reason != "CrashLoopBackOff" else "Running"
        for condition in status["conditions"]:
            if condition["type"] in ("Ready", "ContainersReady"):
                condition.update(status="False", reason="ContainersNotReady")
        state: dict[str, Any] = {"reason": reason}
        if message is not None:
            state["message"] = message
        entry = {
            "name": "model-download" if init else "vllm",
            "image": "vllm/vllm-openai:v0.9.1",
            "imageID": "",
            "ready": False,
            "started": False,
            "restartCount": 0,
            "state": {"waiting": state},
        }
        if init:
            status["initContainerStatuses"] = [entry]
            status["containerStatuses"][0]["state"] = {"waiting": {"reason": "PodInitializing"}}
            status["containerStatuses"][0]["ready"] = False
        else:
            status["containerStatuses"] = [entry]

    return modify


def crashed(exit_code: int = 1, reason: str = "Error", message: str | None = None) -> Modifier:
    """The container's last run ended like this (with restarts counted)."""

    def modify(body: Pod) -> None:
        for container in body["status"].get("containerStatuses", []):
            container["restartCount"] = 5
            terminated: dict[str, Any] = {
                "exitCode": exit_code,
                "reason": reason,
                "startedAt": "2026-12-04T11:03:00Z",
                "finishedAt": "2026-12-04T11:03:09Z",
                "containerID": "containerd://9a8b7c",
            }
            if message is not None:
                terminated["message"] = message
            container["lastState"] = {"terminated": terminated}

    return modify


def deleting(body: Pod) -> None:
    body["metadata"]["deletionTimestamp"] = "2026-12-04T11:05:00Z"


def phase(value: str) -> Modifier:
    def modify(body: Pod) -> None:
        body["status"]["phase"] = value

    return modify


PULL_ERROR = (
    'rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/vllm/vllm-openai:v9.9.9": '
    'failed to resolve reference "docker.io/vllm/vllm-openai:v9.9.9": '
    "docker.io/vllm/vllm-openai:v9.9.9: not found"
)
BACKOFF = (
    'Back-off pulling image "vllm/vllm-openai:v9.9.9": ErrImagePull: rpc error: code = NotFound desc = '
    "failed to pull and unpack image"
)
CRASH_BACKOFF = "back-off 40s restarting failed container=vllm pod=qwen-6c9f8d7b5-x2x9z_team-a(2f1c8e4a)"
TRACEBACK = (
    'Traceback (most recent call last):\n  File "/usr/lib/python3/vllm/entrypoints/api_server.py", line 9\n'
    "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB\n"
)


@pytest.mark.parametrize(
    ("pods", "expected"),
    [
        pytest.param([], None, id="no pods yet is no problem"),
        pytest.param([pod("qwen-6c9f8d7b5-x2x9z")], None, id="a running ready pod is no problem"),
        pytest.param(
            [pod("qwen-6c9f8d7b5-x2x9z", waiting("ContainerCreating"))],
            None,
            id="a container being created is still starting",
        ),
        pytest.param(
            [pod("qwen-6c9f8d7b5-x2x9z", waiting("PodInitializing", init=True))],
            None,
            id="an initializing pod is still starting",
        ),
        pytest.param(
            [pod("qwen-6c9f8d7b5-x2x9z", unschedulable())],
            PodProblem(
                "qwen-6c9f8d7b5-x2x9z",
                "Unschedulable",
                "Pod qwen-6c9f8d7b5-x2x9z cannot be scheduled (Unschedulable): 0/4 nodes are available: "
                "4 node(s) didn't match Pod's node affinity/selector.",
                6,
            ),
            id="unschedulable pod gives the scheduler's message without the preemption tail",
        ),
        pytest.param(
            [pod("qwen-6c9f8d7b5-x2x9z", unschedulable(""))],
            PodProblem(
                "qwen-6c9f8d7b5-x2x9z",
                "Unschedulable",
                "Pod qwen-6c9f8d7b5-x2x9z cannot be scheduled (Unschedulable)",
                6,
            ),
            id="unschedulable without a message still names the pod",
        ),
        pytest.param(
            [pod("qwen-6c9f8d7b5-x2x9z", waiting("ErrImagePull", PULL_ERROR))],
            PodProblem(
                "qwen-6c9f8d7b5-x2x9z",
                "ErrImagePull",
                f"Pod qwen-6c9f8d7b5-x2x9z container vllm cannot pull its image (ErrImagePull): {PULL_ERROR}",
                4,
            ),
            id="image pull error gives the kubelet's message",
        ),
        pytest.param(
            [pod("qwen-6c9f8d7b5-x2x9z", waiting("ImagePullBackOff", BACKOFF))],
            PodProblem(
                "qwen-6c9f8d7b5-x2x9z",
                "ImagePullBackOff",
                "Pod qwen-6c9f8d7b5-x2x9z container vllm cannot pull its image "
                f"(ImagePullBackOff): {BACKOFF}",
                4,
            ),
            id="image pull back-off",
        ),
        pytest.param(
            [
                pod(
                    "qwen-6c9f8d7b5-x2x9z",
                    waiting(
                        "InvalidImageName",
                        'Failed to apply default image tag "vllm/VLLM:latest": couldn\'t parse image name '
                        '"vllm/VLLM:latest": invalid reference format: repository name must be lowercase',
                    ),
                )
            ],
            PodProblem(
                "qwen-6c9f8d7b5-x2x9z",
                "InvalidImageName",
                "Pod qwen-6c9f8d7b5-x2x9z container vllm has an invalid image name (InvalidImageName): "
                'Failed to apply default image tag "vllm/VLLM:latest": couldn\'t parse image name '
                '"vllm/VLLM:latest": invalid reference format: repository name must be lowercase',
                0,
            ),
            id="invalid image name",
        ),
        pytest.param(
            [pod("qwen-6c9f8d7b5-x2x9z", waiting("CreateContainerConfigError", 'secret "wandb" not found'))],
            PodProblem(
                "qwen-6c9f8d7b5-x2x9z",
                "CreateContainerConfigError",
                "Pod qwen-6c9f8d7b5-x2x9z container vllm cannot be configured (CreateContainerConfigError): "
                'secret "wandb" not found',
                2,
            ),
            id="missing secret referenced by env",
        ),
        pytest.param(
            [pod("qwen-6c9f8d7b5-x2x9z", waiting("CrashLoopBackOff", CRASH_BACKOFF), crashed(1, "Error"))],
            PodProblem(
                "qwen-6c9f8d7b5-x2x9z",
                "CrashLoopBackOff",
                "Pod qwen-6c9f8d7b5-x2x9z container vllm keeps crashing (CrashLoopBackOff): "
                "last exit code 1 (Error)",
                5,
            ),
            id="crash loop reports the last exit, not the changing back-off text",
        ),
        pytest.param(
            [
                pod(
                    "qwen-6c9f8d7b5-x2x9z",
                    waiting("CrashLoopBackOff", CRASH_BACKOFF),
                    crashed(1, "Error", TRACEBACK),
                )
            ],
            PodProblem(
                "qwen-6c9f8d7b5-x2x9z",
                "CrashLoopBackOff",
                "Pod qwen-6c9f8d7b5-x2x9z container vllm keeps crashing (CrashLoopBackOff): last exit code 1 "
                "(Error): torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB",
                5,
            ),
            id="crash loop with a termination message keeps its last line",
        ),
        pytest.param(
            [
                pod(
                    "qwen-6c9f8d7b5-x2x9z",
                    waiting("CrashLoopBackOff", CRASH_BACKOFF),
                    crashed(137, "OOMKilled"),
                )
            ],
            PodProblem(
                "qwen-6c9f8d7b5-x2x9z",
                "CrashLoopBackOff",
                "Pod qwen-6c9f8d7b5-x2x9z container vllm keeps crashing (CrashLoopBackOff): "
                "last exit code 137 (OOMKilled)",
                5,
            ),
            id="out of memory kill",
        ),
        pytest.param(
            [pod("qwen-6c9f8d7b5-x2x9z", waiting("CrashLoopBackOff", CRASH_BACKOFF))],
            PodProblem(
                "qwen-6c9f8d7b5-x2x9z",
                "CrashLoopBackOff",
                f"Pod qwen-6c9f8d7b5-x2x9z container vllm keeps crashing (CrashLoopBackOff): {CRASH_BACKOFF}",
                5,
            ),
            id="crash loop without a recorded termination falls back to the kubelet's text",
        ),
        pytest.param(
            [pod("qwen-6c9f8d7b5-x2x9z", waiting("ImagePullBackOff", BACKOFF, init=True))],
            PodProblem(
                "qwen-6c9f8d7b5-x2x9z",
                "ImagePullBackOff",
                "Pod qwen-6c9f8d7b5-x2x9z init container model-download cannot pull its image "
                f"(ImagePullBackOff): {BACKOFF}",
                4,
            ),
            id="init containers are diagnosed too",
        ),
        pytest.param(
            [pod("qwen-6c9f8d7b5-x2x9z", waiting("ImagePullBackOff", BACKOFF), deleting)],
            None,
            id="a pod being deleted is no longer a problem",
        ),
        pytest.param(
            [pod("qwen-6c9f8d7b5-x2x9z", waiting("CrashLoopBackOff", CRASH_BACKOFF), phase("Failed"))],
            None,
            id="a finished pod is no problem (its replacement is)",
        ),
        pytest.param(
            [
                pod("qwen-6c9f8d7b5-b", unschedulable()),
                pod("qwen-6c9f8d7b5-c", waiting("CrashLoopBackOff", CRASH_BACKOFF), crashed()),
                pod("qwen-6c9f8d7b5-a"),
            ],
            PodProblem(
                "qwen-6c9f8d7b5-c",
                "CrashLoopBackOff",
                "Pod qwen-6c9f8d7b5-c container vllm keeps crashing (CrashLoopBackOff): "
                "last exit code 1 (Error) "
                "(and 1 more pod with problems)",
                5,
            ),
            id="the worst problem wins over an earlier pod name",
        ),
        pytest.param(
            [
                pod("qwen-6c9f8d7b5-c", unschedulable()),
                pod("qwen-6c9f8d7b5-a", unschedulable()),
                pod("qwen-6c9f8d7b5-b", unschedulable()),
            ],
            PodProblem(
                "qwen-6c9f8d7b5-a",
                "Unschedulable",
                "Pod qwen-6c9f8d7b5-a cannot be scheduled (Unschedulable): 0/4 nodes are available: "
                "4 node(s) didn't match Pod's node affinity/selector. (and 2 more pods with problems)",
                6,
            ),
            id="equal problems: the first pod by name, the others counted",
        ),
        pytest.param(
            [{"metadata": "odd", "status": {"containerStatuses": [None, {"state": {"waiting": 3}}]}}, {}],
            None,
            id="malformed bodies are no problem and raise nothing",
        ),
    ],
)
def test_diagnose(pods: list[Pod], expected: PodProblem | None) -> None:
    assert pod_diagnosis.diagnose(pods) == expected
    assert pod_diagnosis.diagnose([pod_diagnosis.essentials(p) for p in pods]) == expected


def test_worst_first_whatever_the_order() -> None:
    pods = [
        pod("qwen-a", unschedulable()),
        pod("qwen-b", waiting("ImagePullBackOff", BACKOFF)),
        pod("qwen-c", waiting("CreateContainerConfigError", 'secret "wandb" not found')),
        pod("qwen-d", waiting("CrashLoopBackOff", CRASH_BACKOFF), crashed()),
    ]
    reasons = []
    while pods:
        problem = pod_diagnosis.diagnose(pods)
        assert problem is not None
        assert pod_diagnosis.diagnose(reversed(pods)) == problem
        reasons.append(problem.reason)
        pods = [p for p in pods if p["metadata"]["name"] != problem.pod]
    assert reasons == ["CreateContainerConfigError", "ImagePullBackOff", "CrashLoopBackOff", "Unschedulable"]


def test_long_pod_texts_are_cut_to_one_short_line() -> None:
    noise = "layer " * 400
    problem = pod_diagnosis.diagnose([pod("qwen-a", waiting("ErrImagePull", f"failed:\n{noise}"))])
    assert problem is not None
    detail = problem.message.split("(ErrImagePull): ", 1)[1]
    assert "\n" not in problem.message
    assert len(detail) == pod_diagnosis.DETAIL_LIMIT
    assert detail.endswith("…")


def test_essentials_keep_only_what_the_diagnosis_reads() -> None:
    body = pod("qwen-a", waiting("CrashLoopBackOff", CRASH_BACKOFF), crashed(1, "Error", "x" * 5000))
    kept = pod_diagnosis.essentials(body, labels=("airunway.ai/deployment", "kaito.sh/workspace"))
    assert kept == {
        "metadata": {"name": "qwen-a", "namespace": "team-a", "labels": {"airunway.ai/deployment": "qwen"}},
        "status": {
            "containerStatuses": [
                {
                    "name": "vllm",
                    "state": {"waiting": {"reason": "CrashLoopBackOff", "message": CRASH_BACKOFF}},
                    "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "message": "x" * 1024}},
                }
            ]
        },
    }


def test_essentials_of_a_healthy_pod_ignore_heartbeats_and_counters() -> None:
    before = pod("qwen-a")
    after = copy.deepcopy(before)
    after["metadata"]["resourceVersion"] = "48999"
    after["status"]["containerStatuses"][0]["restartCount"] = 3
    after["status"]["conditions"][2]["lastTransitionTime"] = "2026-12-04T12:00:00Z"
    assert pod_diagnosis.essentials(before) == pod_diagnosis.essentials(after)
    assert pod_diagnosis.essentials(before) == {
        "metadata": {"name": "qwen-a", "namespace": "team-a"},
        "status": {},
    }


# -- folding the diagnosis into the provider's status (core/provider_status.py) -------------------

PROBLEM = "Pod qwen-a cannot be scheduled (Unschedulable): 0/4 nodes are available: 4 node(s) didn't match"


def folded(mapped: ProviderStatus, problem: str = PROBLEM) -> tuple[str, str, str, str]:
    """(phase, status.message, Ready reason, Ready message) after the fold."""
    outcome = Outcome().created("qwen", "Deployment", mapped, problem)
    [ready] = [c for c in outcome.conditions if c.type == "Ready"]
    return outcome.fields["phase"], outcome.fields["message"], ready.reason, ready.message


@pytest.mark.parametrize(
    ("mapped", "problem", "expected"),
    [
        pytest.param(
            ProviderStatus(Phase.DEPLOYING),
            PROBLEM,
            ("Deploying", PROBLEM, "DeploymentInProgress", PROBLEM),
            id="deploying: the problem replaces the waiting message, reason stays upstream's token",
        ),
        pytest.param(
            ProviderStatus(Phase.PENDING, "Workspace is being provisioned"),
            PROBLEM,
            ("Deploying", PROBLEM, "DeploymentInProgress", PROBLEM),
            id="a provider's progress message gives way to the pod problem",
        ),
        pytest.param(
            ProviderStatus(Phase.FAILED, 'ReplicaSet "qwen-6c9f8d7b5" has timed out progressing.'),
            PROBLEM,
            (
                "Failed",
                'ReplicaSet "qwen-6c9f8d7b5" has timed out progressing.',
                "DeploymentFailed",
                f'ReplicaSet "qwen-6c9f8d7b5" has timed out progressing. {PROBLEM}',
            ),
            id="failed: the provider's message keeps status.message and leads Ready's",
        ),
        pytest.param(
            ProviderStatus(Phase.FAILED, "insufficient GPU quota"),
            PROBLEM,
            ("Failed", "insufficient GPU quota", "DeploymentFailed", f"insufficient GPU quota; {PROBLEM}"),
            id="a failure message without a full stop is joined with a semicolon",
        ),
        pytest.param(
            ProviderStatus(Phase.FAILED),
            PROBLEM,
            ("Failed", PROBLEM, "DeploymentFailed", PROBLEM),
            id="failed without a message: the problem is the message",
        ),
        pytest.param(
            ProviderStatus(Phase.RUNNING),
            PROBLEM,
            ("Running", "Deployments created, pods are ready", "DeploymentReady", "All replicas are ready"),
            id="running: a straggling pod does not change a serving deployment's status",
        ),
        pytest.param(
            ProviderStatus(Phase.DEPLOYING),
            "",
            (
                "Deploying",
                "Deployments created, waiting for pods to be ready",
                "DeploymentInProgress",
                "Deployments created, waiting for pods to be ready",
            ),
            id="no problem: upstream's waiting message",
        ),
    ],
)
def test_fold_into_status(mapped: ProviderStatus, problem: str, expected: tuple[str, str, str, str]) -> None:
    assert folded(mapped, problem) == expected
