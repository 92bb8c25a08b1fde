"""Running helm for a runtime installation: the binary from the configuration or PATH, the caller's
identity passed through helm's environment (never its command line), output captured."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

#: An install with `--wait` may take minutes; past this the backend stops waiting for it.
RUN_SECONDS = 600.0


def find_helm(configured: str | None) -> str | None:
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    return shutil.which("helm")


@dataclass(frozen=True)
class Identity:
    """Whom helm acts as: the backend's own kubeconfig, or a caller's token against the API server."""

    token: str | None = None
    server: str | None = None
    ca_file: str | None = None
    insecure: bool = False


def _environment(identity: Identity, empty_kubeconfig: Path) -> dict[str, str]:
    env = dict(os.environ)
    if identity.token is None:
        return env
    # The token only: an empty kubeconfig so none of the backend's own credentials are offered.
    env["KUBECONFIG"] = str(empty_kubeconfig)
    env["HELM_KUBETOKEN"] = identity.token
    env["HELM_KUBEAPISERVER"] = identity.server or ""
    if identity.ca_file:
        env["HELM_KUBECAFILE"] = identity.ca_file
    if identity.insecure:
        env["HELM_KUBEINSECURE_SKIP_TLS_VERIFY"] = "true"
    return env


async def run(helm: str, arg_lists: list[list[str]], identity: Identity) -> tuple[bool, str]:
    """Run each helm command in order, stopping at the first failure; (all succeeded, output)."""
    output: list[str] = []
    with tempfile.TemporaryDirectory(prefix="airunway-helm-") as tmp:
        empty = Path(tmp) / "kubeconfig"
        empty.write_text("apiVersion: v1\nkind: Config\n")
        env = _environment(identity, empty)
        for args in arg_lists:
            output.append("$ helm " + " ".join(args))
            proc = await asyncio.create_subprocess_exec(
                helm, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
            )
            try:
                out, _ = await asyncio.wait_for(proc.communicate(), RUN_SECONDS)
            except TimeoutError:
                proc.kill()
                await proc.wait()
                output.append(f"(stopped after {RUN_SECONDS:.0f}s)")
                return False, "\n".join(output)
            output.append(out.decode(errors="replace").rstrip())
            if proc.returncode != 0:
                output.append(f"(exit code {proc.returncode})")
                return False, "\n".join(output)
    return True, "\n".join(output)
