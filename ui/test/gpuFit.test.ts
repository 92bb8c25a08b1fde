import assert from "node:assert/strict";
import { test } from "node:test";
import { gpuFit, modelGpuMemoryGb } from "../src/gpuFit";
import type { GpuCapacity } from "../src/types";

function cluster(memoryMiB: number | null, maxPerNode = 8): GpuCapacity {
  const node = {
    name: "gpu-0",
    pool: "h100",
    product: "H100",
    memoryMiB,
    capacity: maxPerNode,
    allocatable: maxPerNode,
    allocated: 0,
    available: maxPerNode,
    ready: true,
  };
  return { total: maxPerNode, allocated: 0, available: maxPerNode, maxPerNode, nodes: [node], pools: [] };
}

test("memory needs come from the estimate, else from minGpuMemory in any common unit", () => {
  assert.equal(modelGpuMemoryGb({ id: "a", estimatedGpuMemoryGb: 12, minGpuMemory: "99GB" }), 12);
  assert.equal(modelGpuMemoryGb({ id: "a", minGpuMemory: "16GB" }), 16);
  assert.equal(modelGpuMemoryGb({ id: "a", minGpuMemory: "24Gi" }), 24);
  assert.equal(modelGpuMemoryGb({ id: "a", minGpuMemory: "512MiB" }), 0.5);
  assert.equal(modelGpuMemoryGb({ id: "a", minGpuMemory: "lots" }), null);
  assert.equal(modelGpuMemoryGb({ id: "a" }), null);
});

test("a model smaller than the largest GPU fits one", () => {
  assert.deepEqual(gpuFit({ id: "a", minGpuMemory: "16GB" }, cluster(81920)), {
    level: "fits",
    text: "needs ~16 GB; fits one 80 GB GPU",
  });
});

test("a bigger model needs several GPUs of one node, or cannot fit at all", () => {
  assert.equal(gpuFit({ id: "a", minGpuMemory: "200GB" }, cluster(81920)).text, "needs ~200 GB; needs 3 × 80 GB GPUs on one node");
  assert.equal(gpuFit({ id: "a", minGpuMemory: "200GB" }, cluster(81920, 2)).level, "no");
});

test("unknown needs or unlabelled nodes say so instead of guessing", () => {
  assert.equal(gpuFit({ id: "a" }, cluster(81920)).level, "unknown");
  assert.equal(gpuFit({ id: "a", minGpuMemory: "16GB" }, cluster(null)).text, "needs ~16 GB; GPU memory not labelled on nodes");
  assert.equal(gpuFit({ id: "a", minGpuMemory: "16GB" }, { ...cluster(81920), total: 0, nodes: [] }).level, "no");
});
