import assert from "node:assert/strict";
import { test } from "node:test";
import { requestedGpus, specFromForm, validateDeployForm, type DeployForm } from "../src/validation";

const good: DeployForm = {
  name: "qwen-chat",
  namespace: "team-a",
  modelId: "Qwen/Qwen2.5-0.5B-Instruct",
  engine: "vllm",
  provider: "vllm",
  mode: "aggregated",
  gpus: "1",
  replicas: "2",
  hfTokenSecret: "",
};

test("a complete form has no errors", () => {
  assert.deepEqual(validateDeployForm(good), {});
});

test("each bad field is named in its message", () => {
  const errors = validateDeployForm({
    ...good,
    name: "Bad_Name",
    namespace: "",
    modelId: " ",
    gpus: "65",
    replicas: "-1",
    provider: "Not A Provider",
  });
  assert.match(errors.name ?? "", /^name must be a DNS-1123 label/);
  assert.equal(errors.namespace, "namespace is required");
  assert.equal(errors.modelId, "model id is required");
  assert.equal(errors.gpus, "GPUs per replica must be between 0 and 64");
  assert.equal(errors.replicas, "replicas must be a whole number");
  assert.match(errors.provider ?? "", /^provider must be/);
});

test("names longer than a DNS label are refused with their length", () => {
  assert.match(validateDeployForm({ ...good, name: "a".repeat(64) }).name ?? "", /at most 63 characters \(it has 64\)/);
  assert.equal(validateDeployForm({ ...good, name: "a".repeat(63) }).name, undefined);
  assert.match(validateDeployForm({ ...good, name: "-lead" }).name ?? "", /DNS-1123/);
});

test("disaggregated serving needs GPUs on each worker", () => {
  assert.match(validateDeployForm({ ...good, mode: "disaggregated", gpus: "0" }).gpus ?? "", /between 1 and 64/);
});

test("an aggregated spec uses the CRD's field names", () => {
  assert.deepEqual(specFromForm(good), {
    model: { id: "Qwen/Qwen2.5-0.5B-Instruct" },
    engine: { type: "vllm" },
    provider: { name: "vllm" },
    serving: { mode: "aggregated" },
    scaling: { replicas: 2 },
    resources: { gpu: { count: 1 } },
  });
});

test("automatic engine and provider leave those objects out", () => {
  const spec = specFromForm({ ...good, engine: "", provider: "" });
  assert.equal("engine" in spec, false);
  assert.equal("provider" in spec, false);
});

test("a disaggregated spec sizes prefill and decode and leaves resources.gpu empty", () => {
  const spec = specFromForm({ ...good, mode: "disaggregated", gpus: "2", replicas: "1" });
  assert.deepEqual(spec.scaling, {
    prefill: { replicas: 1, gpu: { count: 2 } },
    decode: { replicas: 1, gpu: { count: 2 } },
  });
  assert.equal("resources" in spec, false);
  assert.equal(requestedGpus({ ...good, mode: "disaggregated", gpus: "2", replicas: "1" }), 4);
});

test("a token secret lands in spec.secrets.huggingFaceToken and must be a Secret name", () => {
  assert.deepEqual(specFromForm({ ...good, hfTokenSecret: "hf-token" }).secrets, { huggingFaceToken: "hf-token" });
  assert.equal("secrets" in specFromForm(good), false);
  assert.match(validateDeployForm({ ...good, hfTokenSecret: "HF Token" }).hfTokenSecret ?? "", /^Hugging Face token secret must be/);
  assert.equal(validateDeployForm({ ...good, hfTokenSecret: "team.hf-token" }).hfTokenSecret, undefined);
});
