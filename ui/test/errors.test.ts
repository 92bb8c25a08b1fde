import assert from "node:assert/strict";
import { test } from "node:test";
import { errorText } from "../src/api";

test("a 422 names each field by its path without the body prefix", () => {
  const body = {
    detail: [
      { loc: ["body", "name"], msg: "must be a DNS-1123 label", type: "value_error" },
      { loc: ["body", "spec", "model", "id"], msg: "Field required", type: "missing" },
    ],
  };
  assert.equal(errorText(body), "name: must be a DNS-1123 label\nspec.model.id: Field required");
});

test("an API server rejection keeps its message verbatim", () => {
  const message =
    'admission webhook "vmodeldeployment.airunway.ai" denied the request: spec.provider.overrides.hostNetwork: Forbidden';
  assert.equal(errorText({ detail: { message, reason: "Invalid", code: 422, causes: [] } }), message);
});

test("a plain detail string and a non-JSON body are shown as they are", () => {
  assert.equal(errorText({ detail: "token missing" }), "token missing");
  assert.equal(errorText("Bad Gateway"), "Bad Gateway");
  assert.equal(errorText(null), null);
});
