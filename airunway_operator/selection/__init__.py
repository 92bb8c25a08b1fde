"""Pure engine and provider auto-selection for ModelDeployments (SPEC-core §4).

`engine.select_engine` resolves the inference engine, `provider.select_provider` picks the
provider by capabilities and the providers' CEL selection rules. `celinput` turns a spec into the
value CEL rules see (exactly what upstream's Go JSON round trip produces) and `cel` hides the CEL
library behind a small interface. Pure: no cluster I/O, no kopf, no Kubernetes client, no
logging. See docs/selection.md.
"""
