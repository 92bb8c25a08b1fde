import { useState } from "react";
import { api, messageOf } from "../api";
import { ErrorBox, Loading, PageTitle, StatusDot } from "../components/Common";
import { duration } from "../format";
import { useApi } from "../hooks";
import type { InstallResult, Runtime } from "../types";

const REFRESH_MS = 10000;

export function RuntimesPage() {
  const runtimes = useApi<{ items: Runtime[] }>("/api/runtimes", REFRESH_MS);
  const items = runtimes.data?.items ?? [];
  return (
    <section>
      <PageTitle title="Runtimes" />
      <p className="muted">
        Inference providers registered through InferenceProviderConfigs. A provider is ready when its controller
        reports a recent heartbeat.
      </p>
      <ErrorBox message={runtimes.error} />
      <Loading show={runtimes.loading && !runtimes.data} />
      {runtimes.data && items.length === 0 && <p className="empty">No InferenceProviderConfigs found.</p>}
      <div className="cards">
        {items.map((r) => (
          <RuntimeCard key={r.name} runtime={r} />
        ))}
      </div>
    </section>
  );
}

function RuntimeCard({ runtime }: { runtime: Runtime }) {
  const [result, setResult] = useState<InstallResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const install = async () => {
    setBusy(true);
    setError(null);
    try {
      setResult(await api.post<InstallResult>(`/api/installation/${encodeURIComponent(runtime.name)}/install`));
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  const caps = runtime.capabilities ?? {};
  const hardware = [caps.gpu ? "GPU" : null, caps.cpu ? "CPU" : null].filter(Boolean).join(", ");
  return (
    <article className={`card runtime-card${result || error ? " wide" : ""}`} data-runtime={runtime.name}>
      <div className="card-head">
        <h3>{runtime.name}</h3>
        <StatusDot ok={runtime.ready} label={runtime.ready ? "ready" : "not ready"} />
      </div>
      <dl className="facts">
        <dt>Version</dt>
        <dd>{runtime.version ?? "–"}</dd>
        <dt>Heartbeat</dt>
        <dd>{runtime.heartbeatAgeSeconds === null ? "never" : `${duration(runtime.heartbeatAgeSeconds)} ago`}</dd>
        <dt>Engines</dt>
        <dd>{caps.engines?.join(", ") || "–"}</dd>
        <dt>Serving</dt>
        <dd>{caps.servingModes?.join(", ") || "–"}</dd>
        <dt>Hardware</dt>
        <dd>{hardware || "–"}</dd>
        <dt>Installed</dt>
        <dd>{runtime.installed ? "yes" : "no"}</dd>
      </dl>
      <div className="card-foot">
        <button type="button" onClick={() => void install()} disabled={busy}>
          {busy ? "Installing…" : runtime.installed ? "Reinstall / upgrade" : "Install"}
        </button>
      </div>
      <ErrorBox message={error} />
      {result && <InstallOutput result={result} />}
    </article>
  );
}

function InstallOutput({ result }: { result: InstallResult }) {
  const withoutHelm = result.helmAvailable === false;
  const manual = result.manualCommands ?? (withoutHelm ? result.commands : []);
  let headline = result.installed ? "Installed." : "Not installed.";
  if (withoutHelm) headline = "Helm is not available to the backend; run these commands yourself:";
  return (
    <div className="install-output" data-testid="install-output">
      <p>{headline}</p>
      {result.output && !withoutHelm && <pre>{result.output}</pre>}
      {!withoutHelm && manual.length > 0 && <p>Left for you to run:</p>}
      {manual.length > 0 && <pre data-testid="install-commands">{manual.join("\n")}</pre>}
      {result.commands.length === 0 && <p className="muted">This provider declares no installation commands.</p>}
    </div>
  );
}
