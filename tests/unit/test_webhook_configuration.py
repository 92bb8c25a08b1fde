"""The shipped webhook configuration: generated, fail-closed, and never in the way of deletion."""

from __future__ import annotations

import base64

import yaml

from airunway_operator.admission import configuration


def test_committed_manifest_is_generated_from_the_code() -> None:
    assert configuration.main(["--check"]) == 0


def test_shipped_configuration_fails_closed_for_modeldeployments_and_skips_objects_being_deleted() -> None:
    config = yaml.safe_load(configuration.MANIFEST.read_text())
    hook, ipc_hook = config["webhooks"]
    assert ipc_hook["rules"][0]["resources"] == ["inferenceproviderconfigs"]
    assert ipc_hook["rules"][0]["scope"] == "Cluster"
    assert ipc_hook["matchConditions"] == [configuration.SKIP_DELETING, configuration.SKIP_METADATA_ONLY]
    # It only ever warns, so an operator that is down must not block provider configs.
    assert ipc_hook["failurePolicy"] == "Ignore"
    assert config["metadata"]["name"] == "airunway-validating-webhook-configuration"
    assert hook["name"] == "vmodeldeployment-v1alpha1.kb.io"
    assert hook["failurePolicy"] == "Fail"
    assert hook["sideEffects"] == "None"
    assert hook["rules"][0]["operations"] == ["CREATE", "UPDATE"]
    assert hook["rules"][0]["resources"] == ["modeldeployments"]  # status writes never reach it
    assert hook["matchConditions"] == [configuration.SKIP_DELETING, configuration.SKIP_METADATA_ONLY]
    assert hook["clientConfig"]["service"]["path"] == "/validate-airunway-ai-v1alpha1-modeldeployment"
    assert config["metadata"]["annotations"]["cert-manager.io/inject-ca-from"]


def test_loopback_registration_points_at_the_url_with_its_ca() -> None:
    config = configuration.validating_configuration(
        configuration.url_client_config("https://127.0.0.1:9443/", b"CA")
    )
    client_config = config["webhooks"][0]["clientConfig"]
    assert client_config["url"] == "https://127.0.0.1:9443/validate-airunway-ai-v1alpha1-modeldeployment"
    assert base64.b64decode(client_config["caBundle"]) == b"CA"
