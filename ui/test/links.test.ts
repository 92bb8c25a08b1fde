import assert from "node:assert/strict";
import { test } from "node:test";
import { nameFromModel } from "../src/pages/DeployPage";
import { deployHref } from "../src/pages/ModelsPage";

test("a deployment name is suggested from the model id's last part", () => {
  assert.equal(nameFromModel("Qwen/Qwen2.5-0.5B-Instruct"), "qwen2-5-0-5b-instruct");
  assert.equal(nameFromModel("google/gemma-3-1b-it-qat-q8_0-gguf"), "gemma-3-1b-it-qat-q8-0-gguf");
  assert.equal(nameFromModel(`org/${"x".repeat(62)}--tail`), "x".repeat(62));
  assert.equal(nameFromModel(""), "");
});

test("Deploy on a model card opens the form with its id, first engine and gated flag", () => {
  assert.equal(deployHref({ id: "Qwen/Qwen3-8B", supportedEngines: ["vllm", "sglang"] }), "/deploy?model=Qwen%2FQwen3-8B&engine=vllm");
  assert.equal(
    deployHref({ id: "meta-llama/Llama-3.2-1B-Instruct", supportedEngines: [], gated: true }),
    "/deploy?model=meta-llama%2FLlama-3.2-1B-Instruct&gated=true",
  );
});
