"""Pure admission and spec validation of ModelDeployments (SPEC-core §2).

Every rule of upstream's validating webhook lives here as a function over typed models that
returns field errors instead of raising; the admission handler and the reconciler share them.
Pure: no cluster I/O, no kopf, no Kubernetes client. The provider lookup the webhook needs is
performed by the caller and passed in as a `lookup.ProviderLookup` value.

Entry points: `admission.validate_create`, `admission.validate_update`,
`admission.provider_to_look_up` and `admission.explicit_provider` (whose plug-in warnings the
caller passes in), and `providerconfig.validate` for InferenceProviderConfigs; see
docs/validation.md for the rule table.
"""
