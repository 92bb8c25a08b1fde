// A rough "does this model fit" hint: the model's GPU memory need against the largest GPU in the cluster.
import type { GpuCapacity, Model } from "./types";

/** GPU memory the model needs in GB: the estimate when given, else a parsed minGpuMemory ("16GB", "24Gi"). */
export function modelGpuMemoryGb(model: Model): number | null {
  if (typeof model.estimatedGpuMemoryGb === "number" && model.estimatedGpuMemoryGb > 0) {
    return model.estimatedGpuMemoryGb;
  }
  const match = /^\s*([\d.]+)\s*(gi?b?|mi?b?|ti?b?)?\s*$/i.exec(model.minGpuMemory ?? "");
  if (!match) return null;
  const value = Number(match[1]);
  const unit = (match[2] ?? "g").toLowerCase()[0];
  return unit === "m" ? value / 1024 : unit === "t" ? value * 1024 : value;
}

/** Memory of the largest GPU known from node labels, in GB. */
export function largestGpuGb(gpus: GpuCapacity | null): number | null {
  const sizes = (gpus?.nodes ?? []).map((n) => n.memoryMiB ?? 0).filter((m) => m > 0);
  return sizes.length ? Math.max(...sizes) / 1024 : null;
}

export interface Fit {
  level: "fits" | "multi" | "no" | "unknown";
  text: string;
}

export function gpuFit(model: Model, gpus: GpuCapacity | null): Fit {
  const need = modelGpuMemoryGb(model);
  if (need === null) return { level: "unknown", text: "GPU memory need unknown" };
  const needText = `needs ~${formatGb(need)}`;
  if (!gpus || gpus.total === 0) return { level: "no", text: `${needText}; no GPUs in the cluster` };
  const per = largestGpuGb(gpus);
  if (per === null) return { level: "unknown", text: `${needText}; GPU memory not labelled on nodes` };
  if (need <= per) return { level: "fits", text: `${needText}; fits one ${formatGb(per)} GPU` };
  const count = Math.ceil(need / per);
  if (count <= gpus.maxPerNode) {
    return { level: "multi", text: `${needText}; needs ${count} × ${formatGb(per)} GPUs on one node` };
  }
  return { level: "no", text: `${needText}; more than ${gpus.maxPerNode} × ${formatGb(per)} GPUs on a node` };
}

export function formatGb(gb: number): string {
  return `${gb >= 10 ? Math.round(gb) : Math.round(gb * 10) / 10} GB`;
}
