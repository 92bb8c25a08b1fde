import { useState, type FormEvent } from "react";
import { ErrorBox, Loading, Notice, PageTitle } from "../components/Common";
import { gpuFit } from "../gpuFit";
import { useApi } from "../hooks";
import { navigate } from "../router";
import type { GpuCapacity, Model, ModelList } from "../types";

export function deployHref(model: Model): string {
  const params = new URLSearchParams({ model: model.id });
  const engine = model.supportedEngines?.[0];
  if (engine) params.set("engine", engine);
  if (model.gated) params.set("gated", "true");
  return `/deploy?${params.toString()}`;
}

export function ModelsPage() {
  const [input, setInput] = useState("");
  const [search, setSearch] = useState("");
  const path = search ? `/api/models?search=${encodeURIComponent(search)}&limit=20` : "/api/models";
  const models = useApi<ModelList>(path);
  const gpus = useApi<GpuCapacity>("/api/cluster/gpus");

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSearch(input.trim());
  };
  const hub = models.data?.hub;
  return (
    <section>
      <PageTitle title="Models">
        <form className="search" onSubmit={submit} role="search">
          <input
            type="search"
            aria-label="Search models"
            placeholder="Search Hugging Face models"
            value={input}
            onChange={(e) => setInput(e.target.value)}
          />
          <button type="submit">Search</button>
          {search && (
            <button type="button" onClick={() => { setInput(""); setSearch(""); }}>
              Clear
            </button>
          )}
        </form>
      </PageTitle>
      <GpuSummary gpus={gpus.data} />
      {hub && hub.reachable === false && (
        <Notice kind="warn">
          <strong>No Hugging Face results.</strong> <span data-testid="hub-offline">{hub.message.replace(/\.$/, "")}</span>. Showing
          the matching curated and custom models only.
        </Notice>
      )}
      <ErrorBox message={models.error} />
      <Loading show={models.loading && !models.data} />
      {models.data && models.data.items.length === 0 && <p className="muted">No models match.</p>}
      <div className="cards">
        {models.data?.items.map((model) => (
          <ModelCard key={`${model.source}:${model.id}`} model={model} gpus={gpus.data} />
        ))}
      </div>
    </section>
  );
}

function GpuSummary({ gpus }: { gpus: GpuCapacity | null }) {
  if (!gpus) return null;
  const products = [...new Set(gpus.nodes.map((n) => n.product).filter(Boolean))].join(", ");
  return (
    <p className="muted gpu-summary">
      Cluster GPUs: <strong>{gpus.available}</strong> of {gpus.total} available, at most {gpus.maxPerNode} per node
      {products ? ` (${products})` : ""}.
    </p>
  );
}

function ModelCard({ model, gpus }: { model: Model; gpus: GpuCapacity | null }) {
  const fit = gpuFit(model, gpus);
  return (
    <article className="card model-card" data-model-id={model.id}>
      <div className="card-head">
        <h3>{model.name || model.id}</h3>
        <span className={`badge badge-${model.source === "catalog" ? "muted" : "info"}`}>{model.source}</span>
      </div>
      <code className="model-id">{model.id}</code>
      {model.description && <p>{model.description}</p>}
      <dl className="facts">
        {model.size && (<><dt>Size</dt><dd>{model.size}</dd></>)}
        {model.contextLength ? (<><dt>Context</dt><dd>{model.contextLength.toLocaleString()}</dd></>) : null}
        {model.supportedEngines?.length ? (<><dt>Engines</dt><dd>{model.supportedEngines.join(", ")}</dd></>) : null}
        {model.gated ? (<><dt>Access</dt><dd>gated (needs a Hugging Face token)</dd></>) : null}
      </dl>
      <div className="card-foot">
        <span className={`fit fit-${fit.level}`} data-testid="gpu-fit">
          {fit.text}
        </span>
        <button type="button" className="primary" onClick={() => navigate(deployHref(model))}>
          Deploy
        </button>
      </div>
    </article>
  );
}
