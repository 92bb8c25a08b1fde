// Client-side checks of the deploy form; the backend and the API server check again.

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export interface DeployForm {
  name: string;
  namespace: string;
  modelId: string;
  engine: string; // "" = auto
  provider: string; // "" = auto
  mode: "aggregated" | "disaggregated";
  gpus: string;
  replicas: string;
  /** Name of a Secret with the Hugging Face token (gated models); "" = none. */
  hfTokenSecret: string;
}

export type FieldErrors = Partial<Record<keyof DeployForm, string>>;

export function dns1123LabelError(field: string, value: string): string | null {
  if (!value) return `${field} is required`;
  if (value.length > 63) return `${field} must be at most 63 characters (it has ${value.length})`;
  if (!DNS1123_LABEL.test(value)) {
    return `${field} must be a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit`;
  }
  return null;
}

function integerError(field: string, value: string, min: number, max: number): string | null {
  if (!/^\d+$/.test(value.trim())) return `${field} must be a whole number`;
  const n = Number(value);
  if (n < min || n > max) return `${field} must be between ${min} and ${max}`;
  return null;
}

export function validateDeployForm(form: DeployForm): FieldErrors {
  const errors: FieldErrors = {};
  const set = (key: keyof DeployForm, message: string | null) => {
    if (message) errors[key] = message;
  };
  set("name", dns1123LabelError("name", form.name));
  set("namespace", form.namespace ? dns1123LabelError("namespace", form.namespace) : "namespace is required");
  set("modelId", form.modelId.trim() ? null : "model id is required");
  const gpuMin = form.mode === "disaggregated" ? 1 : 0;
  set("gpus", integerError("GPUs per replica", form.gpus, gpuMin, 64));
  set("replicas", integerError("replicas", form.replicas, 0, 32));
  if (form.hfTokenSecret && (form.hfTokenSecret.length > 253 || !DNS1123_SUBDOMAIN.test(form.hfTokenSecret))) {
    set("hfTokenSecret", "Hugging Face token secret must be a Secret name: lower-case letters, digits, '-' and '.'");
  }
  if (form.provider && !DNS1123_LABEL.test(form.provider)) {
    set("provider", "provider must be a provider name such as vllm, or empty for automatic selection");
  }
  return errors;
}

/** The ModelDeployment spec the form stands for (field names as in crds/airunway.ai_modeldeployments.yaml). */
export function specFromForm(form: DeployForm): Record<string, unknown> {
  const gpus = Number(form.gpus);
  const replicas = Number(form.replicas);
  const spec: Record<string, unknown> = { model: { id: form.modelId.trim() } };
  if (form.engine) spec.engine = { type: form.engine };
  if (form.provider) spec.provider = { name: form.provider };
  if (form.hfTokenSecret) spec.secrets = { huggingFaceToken: form.hfTokenSecret };
  spec.serving = { mode: form.mode };
  if (form.mode === "disaggregated") {
    // Disaggregated serving sizes prefill and decode workers separately; resources.gpu must stay empty.
    const component = { replicas, gpu: { count: gpus } };
    spec.scaling = { prefill: component, decode: component };
  } else {
    spec.scaling = { replicas };
    spec.resources = { gpu: { count: gpus } };
  }
  return spec;
}

/** GPUs the deployment asks for in total. */
export function requestedGpus(form: DeployForm): number {
  const gpus = Number(form.gpus) || 0;
  const replicas = Number(form.replicas) || 0;
  return form.mode === "disaggregated" ? 2 * gpus * replicas : gpus * replicas;
}
