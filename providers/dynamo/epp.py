"""The Endpoint Picker configuration of a gateway-mode DynamoGraphDeployment (§3.4 `Epp`).

Decode-only routing when aggregated; prefill then decode profiles when disaggregated. Workers are
told apart by the label Dynamo puts on their pods. Pure data.
"""

from __future__ import annotations

from typing import Any, Final

SUB_COMPONENT_LABEL: Final = "nvidia.com/dynamo-sub-component-type"


def _role_filter(role: str, allows_no_label: bool) -> dict[str, Any]:
    return {
        "name": f"{role}-filter",
        "type": "label-filter",
        "parameters": {"label": SUB_COMPONENT_LABEL, "validValues": [role], "allowsNoLabel": allows_no_label},
    }


def _profile(role: str) -> dict[str, Any]:
    refs = (f"{role}-filter", f"dyn-{role}", "picker")
    return {"name": role, "plugins": [{"pluginRef": ref, "weight": 1} for ref in refs]}


def config(disaggregated: bool) -> dict[str, Any]:
    """`eppConfig.config`: plugins, then scheduling profiles."""
    handler = {"type": "disagg-profile-handler"}
    picker = {"name": "picker", "type": "max-score-picker"}
    decode_scorer = {"name": "dyn-decode", "type": "dyn-decode-scorer"}
    if not disaggregated:
        plugins = [handler, _role_filter("decode", True), picker, decode_scorer]
        return {"plugins": plugins, "schedulingProfiles": [_profile("decode")]}
    plugins = [
        handler,
        _role_filter("prefill", False),
        _role_filter("decode", False),
        picker,
        {"name": "dyn-prefill", "type": "dyn-prefill-scorer"},
        decode_scorer,
    ]
    return {"plugins": plugins, "schedulingProfiles": [_profile("prefill"), _profile("decode")]}
