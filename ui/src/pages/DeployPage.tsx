import { useEffect, useState, type FormEvent, type ReactNode } from "react";
import { api, messageOf } from "../api";
import { ErrorBox, Notice, PageTitle } from "../components/Common";
import { useApi } from "../hooks";
import { Link, navigate } from "../router";
import { ENGINES, type Created, type GpuCapacity, type Runtime, type Settings } from "../types";
import { requestedGpus, specFromForm, validateDeployForm, type DeployForm, type FieldErrors } from "../validation";

/** A name suggestion from a model id: "Qwen/Qwen2.5-0.5B-Instruct" -> "qwen2-5-0-5b-instruct". */
export function nameFromModel(modelId: string): string {
  const last = modelId.split("/").pop() ?? "";
  return last.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 63).replace(/-+$/, "");
}

function initialForm(query: URLSearchParams): DeployForm {
  const modelId = query.get("model") ?? "";
  return {
    name: query.get("name") ?? nameFromModel(modelId),
    namespace: query.get("namespace") ?? "",
    modelId,
    engine: query.get("engine") ?? "",
    provider: query.get("provider") ?? "",
    mode: query.get("mode") === "disaggregated" ? "disaggregated" : "aggregated",
    gpus: query.get("gpus") ?? "1",
    replicas: query.get("replicas") ?? "1",
    hfTokenSecret: query.get("hfTokenSecret") ?? "",
  };
}

export function DeployPage({ query }: { query: URLSearchParams }) {
  const [form, setForm] = useState<DeployForm>(() => initialForm(query));
  const gated = query.get("gated") === "true";
  const [errors, setErrors] = useState<FieldErrors>({});
  const [checked, setChecked] = useState(false);
  const [serverError, setServerError] = useState<string | null>(null);
  const [submitting, setSubmitting] = useState(false);
  const namespaces = useApi<{ items: string[] }>("/api/namespaces");
  const settings = useApi<Settings>("/api/settings");
  const gpus = useApi<GpuCapacity>("/api/cluster/gpus");
  const runtimes = useApi<{ items: Runtime[] }>("/api/runtimes");

  // The namespace defaults to the configured one once settings arrive, unless the user chose already.
  useEffect(() => {
    if (form.namespace || settings.loading) return;
    const fallback = settings.data?.defaultNamespace || (namespaces.data?.items.includes("default") ? "default" : "");
    if (fallback) setForm((f) => (f.namespace ? f : { ...f, namespace: fallback }));
  }, [settings.data, settings.loading, namespaces.data, form.namespace]);

  const update = (key: keyof DeployForm) => (value: string) => {
    const next = { ...form, [key]: value };
    setForm(next);
    if (checked) setErrors(validateDeployForm(next));
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setChecked(true);
    setServerError(null);
    const found = validateDeployForm(form);
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    setSubmitting(true);
    try {
      const created = await api.post<Created>("/api/deployments", {
        name: form.name,
        namespace: form.namespace,
        spec: specFromForm(form),
      });
      navigate(`/deployments/${encodeURIComponent(created.namespace)}/${encodeURIComponent(created.name)}`, {
        warnings: created.warnings ?? [],
      });
    } catch (err) {
      setServerError(messageOf(err));
    } finally {
      setSubmitting(false);
    }
  };

  const namespaceOptions = [...new Set([...(namespaces.data?.items ?? []), form.namespace].filter(Boolean))].sort();
  const providerNames = (runtimes.data?.items ?? []).map((r) => r.name);
  return (
    <section>
      <PageTitle title="Deploy a model" />
      <form className="form" onSubmit={submit} noValidate aria-label="Deploy a model">
        <Field id="name" label="Name" error={errors.name} hint="DNS-1123 label: lower case, digits and '-'">
          <input id="name" value={form.name} onChange={(e) => update("name")(e.target.value)} autoComplete="off" />
        </Field>
        <Field
          id="namespace"
          label="Namespace"
          error={errors.namespace}
          hint={namespaces.error ? `the namespace list is not available (${namespaces.error}): type one` : undefined}
        >
          {namespaces.error === null ? (
            // A select while the list loads too (disabled), so the field does not change kind under the user.
            <select
              id="namespace"
              value={form.namespace}
              disabled={!namespaces.data}
              onChange={(e) => update("namespace")(e.target.value)}
            >
              <option value="">{namespaces.data ? "— choose —" : "loading namespaces…"}</option>
              {namespaceOptions.map((ns) => (
                <option key={ns} value={ns}>
                  {ns}
                </option>
              ))}
            </select>
          ) : (
            <input id="namespace" value={form.namespace} onChange={(e) => update("namespace")(e.target.value)} />
          )}
        </Field>
        <Field id="modelId" label="Model id" error={errors.modelId} hint={<>Hugging Face id; pick one on <Link href="/models">Models</Link></>}>
          <input
            id="modelId"
            value={form.modelId}
            onChange={(e) => update("modelId")(e.target.value)}
            placeholder="Qwen/Qwen2.5-0.5B-Instruct"
            autoComplete="off"
          />
        </Field>
        <Field
          id="hfTokenSecret"
          label="Hugging Face token secret"
          error={errors.hfTokenSecret}
          hint="optional; a Secret in the namespace with the token (HF_TOKEN), needed for gated models"
        >
          <input
            id="hfTokenSecret"
            value={form.hfTokenSecret}
            onChange={(e) => update("hfTokenSecret")(e.target.value)}
            placeholder="none"
            autoComplete="off"
          />
          {gated && !form.hfTokenSecret && (
            <div className="field-warn" data-testid="gated-warning">
              This model is gated on Hugging Face: its download needs a token secret.
            </div>
          )}
        </Field>
        <Field id="engine" label="Engine" error={errors.engine}>
          <select id="engine" value={form.engine} onChange={(e) => update("engine")(e.target.value)}>
            <option value="">auto (chosen by the provider's capabilities)</option>
            {ENGINES.map((engine) => (
              <option key={engine} value={engine}>
                {engine}
              </option>
            ))}
          </select>
        </Field>
        <Field id="provider" label="Provider" error={errors.provider} hint="optional; empty = automatic selection">
          <input
            id="provider"
            list="provider-names"
            value={form.provider}
            onChange={(e) => update("provider")(e.target.value)}
            placeholder="auto"
            autoComplete="off"
          />
          <datalist id="provider-names">
            {providerNames.map((name) => (
              <option key={name} value={name} />
            ))}
          </datalist>
        </Field>
        <Field id="mode" label="Serving mode" error={errors.mode}>
          <select id="mode" value={form.mode} onChange={(e) => update("mode")(e.target.value)}>
            <option value="aggregated">aggregated</option>
            <option value="disaggregated">disaggregated (prefill + decode)</option>
          </select>
        </Field>
        <div className="form-row">
          <Field
            id="gpus"
            label={form.mode === "disaggregated" ? "GPUs per prefill/decode replica" : "GPUs per replica"}
            error={errors.gpus}
          >
            <input id="gpus" type="number" min={0} max={64} value={form.gpus} onChange={(e) => update("gpus")(e.target.value)} />
          </Field>
          <Field
            id="replicas"
            label={form.mode === "disaggregated" ? "Replicas (each of prefill and decode)" : "Replicas"}
            error={errors.replicas}
          >
            <input id="replicas" type="number" min={0} max={32} value={form.replicas} onChange={(e) => update("replicas")(e.target.value)} />
          </Field>
        </div>
        <CapacityWarning form={form} gpus={gpus.data} />
        <ErrorBox title="The deployment was rejected:" message={serverError} />
        <div className="form-actions">
          <button type="submit" className="primary" disabled={submitting}>
            {submitting ? "Deploying…" : "Deploy"}
          </button>
        </div>
      </form>
    </section>
  );
}

function Field({ id, label, error, hint, children }: { id: string; label: string; error?: string; hint?: ReactNode; children: ReactNode }) {
  return (
    <div className={`field${error ? " field-invalid" : ""}`}>
      <label htmlFor={id}>{label}</label>
      {children}
      {error ? (
        <div className="field-error" id={`${id}-error`} role="alert">
          {error}
        </div>
      ) : (
        hint && <div className="field-hint">{hint}</div>
      )}
    </div>
  );
}

function CapacityWarning({ form, gpus }: { form: DeployForm; gpus: GpuCapacity | null }) {
  if (!gpus) return null;
  const perReplica = Number(form.gpus) || 0;
  const total = requestedGpus(form);
  const warnings: string[] = [];
  if (perReplica > gpus.maxPerNode) {
    warnings.push(`${perReplica} GPUs per replica is more than any node has (at most ${gpus.maxPerNode}); its pods would stay Pending.`);
  }
  if (total > gpus.available) {
    warnings.push(`${total} GPUs requested in total, but only ${gpus.available} of ${gpus.total} are free in the cluster.`);
  }
  if (warnings.length === 0) {
    return total > 0 ? (
      <p className="muted" data-testid="capacity-ok">
        {total} GPU{total === 1 ? "" : "s"} requested; {gpus.available} free.
      </p>
    ) : null;
  }
  return (
    <Notice kind="warn">
      <div data-testid="capacity-warning">
        {warnings.map((w) => (
          <div key={w}>{w}</div>
        ))}
      </div>
    </Notice>
  );
}
