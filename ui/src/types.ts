// Shapes of the backend's JSON answers (see docs/ui.md and the backend's OpenAPI at /api/openapi.json).

export type Engine = "vllm" | "sglang" | "trtllm" | "llamacpp";
export const ENGINES: Engine[] = ["vllm", "sglang", "trtllm", "llamacpp"];
export type ServingMode = "aggregated" | "disaggregated";

export interface Health {
  status: "ok" | "unavailable";
  cluster: { connected: boolean; version: string | null; error: string | null };
  auth: { enabled: boolean };
}

export interface Condition {
  type: string;
  status: string;
  reason?: string | null;
  message?: string | null;
  lastTransitionTime?: string | null;
}

export interface Replicas {
  desired?: number | null;
  ready?: number | null;
  available?: number | null;
}

export interface DeploymentSummary {
  name: string;
  namespace: string;
  modelId: string | null;
  engine: string | null;
  provider: string | null;
  mode: string | null;
  phase: string | null;
  replicas: Replicas | null;
  endpoint: { service: string; port: number } | null;
  message: string | null;
  createdAt: string | null;
  conditions: Condition[];
}

/** The answer to a create: the new deployment and the admission webhook's warnings. */
export interface Created extends DeploymentSummary {
  warnings?: string[];
}

export interface Pod {
  name: string;
  phase: string | null;
  ready: boolean;
  restarts: number;
  node: string | null;
  reason: string | null;
  message: string | null;
}

export interface KubeEvent {
  type: string | null;
  reason: string | null;
  message: string | null;
  count: number | null;
  lastTimestamp: string | null;
  object: string | null;
}

export interface DeploymentDetails extends DeploymentSummary {
  spec: Record<string, unknown>;
  pods: Pod[];
  events: KubeEvent[];
}

export interface PodLogs {
  pod: string;
  container: string | null;
  logs: string;
}

export interface Model {
  id: string;
  name?: string | null;
  description?: string | null;
  size?: string | null;
  task?: string | null;
  contextLength?: number | null;
  supportedEngines?: string[] | null;
  minGpuMemory?: string | null;
  gated?: boolean | null;
  estimatedGpuMemoryGb?: number | null;
  parameterCount?: number | null;
  source?: "catalog" | "custom" | "huggingface" | null;
}

export interface ModelList {
  items: Model[];
  hub: { reachable: boolean | null; message: string };
}

export interface GpuNode {
  name: string;
  pool: string | null;
  product: string | null;
  memoryMiB: number | null;
  capacity: number;
  allocatable: number;
  allocated: number;
  available: number;
  ready: boolean;
}

export interface GpuPool {
  name: string;
  product: string | null;
  nodes: number;
  capacity: number;
  allocated: number;
  available: number;
  maxPerNode: number;
}

export interface GpuCapacity {
  total: number;
  allocated: number;
  available: number;
  maxPerNode: number;
  nodes: GpuNode[];
  pools: GpuPool[];
}

export interface Runtime {
  name: string;
  ready: boolean;
  version: string | null;
  heartbeatAgeSeconds: number | null;
  lastHeartbeat: string | null;
  capabilities: {
    engines?: string[] | null;
    servingModes?: string[] | null;
    gpu?: boolean | null;
    cpu?: boolean | null;
  } | null;
  installation: Record<string, unknown> | null;
  installed: boolean;
}

export interface InstallResult {
  provider?: string;
  installed: boolean;
  helmAvailable?: boolean;
  output?: string;
  commands: string[];
  /** Commands the backend did not run (all of them without helm). */
  manualCommands?: string[];
}

export interface Settings {
  defaultNamespace: string;
  customModels: Model[];
  huggingFaceEndpoint: string | null;
}
