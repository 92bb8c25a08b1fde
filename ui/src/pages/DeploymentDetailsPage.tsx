import { useState } from "react";
import { api, messageOf } from "../api";
import { ErrorBox, Loading, Notice, PageTitle, PhaseBadge } from "../components/Common";
import { age, replicasText } from "../format";
import { useApi } from "../hooks";
import { Link, navigate } from "../router";
import type { DeploymentDetails, PodLogs } from "../types";

const REFRESH_MS = 3000;

export function DeploymentDetailsPage({ namespace, name }: { namespace: string; name: string }) {
  const base = `/api/deployments/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
  const details = useApi<DeploymentDetails>(base, REFRESH_MS);
  const d = details.data;
  // Set by the deploy form for the page it opens right after creating the deployment.
  const [warnings] = useState<string[]>(() => {
    const state: unknown = window.history.state;
    const list = state && typeof state === "object" ? (state as { warnings?: unknown }).warnings : undefined;
    return Array.isArray(list) ? list.map(String) : [];
  });
  return (
    <section>
      <p className="crumbs">
        <Link href="/deployments">Deployments</Link> / {namespace} / {name}
      </p>
      <PageTitle title={name}>
        <DeleteButton base={base} name={name} />
      </PageTitle>
      {warnings.length > 0 && (
        <Notice kind="warn">
          <strong>Created, with warnings from admission:</strong>
          <ul className="warnings">
            {warnings.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        </Notice>
      )}
      <ErrorBox message={details.error} />
      <Loading show={details.loading && !d} />
      {d && (
        <>
          <dl className="summary">
            <dt>Phase</dt>
            <dd data-testid="phase">
              <PhaseBadge phase={d.phase} />
            </dd>
            <dt>Namespace</dt>
            <dd>{d.namespace}</dd>
            <dt>Model</dt>
            <dd className="mono">{d.modelId ?? "–"}</dd>
            <dt>Provider</dt>
            <dd>{d.provider ?? "–"}</dd>
            <dt>Engine</dt>
            <dd>{d.engine ?? "–"}</dd>
            <dt>Serving mode</dt>
            <dd>{d.mode ?? "–"}</dd>
            <dt>Replicas (ready/desired)</dt>
            <dd>{replicasText(d.replicas)}</dd>
            <dt>Endpoint</dt>
            <dd className="mono">{d.endpoint ? `${d.endpoint.service}:${d.endpoint.port}` : "–"}</dd>
            <dt>Created</dt>
            <dd>{d.createdAt ? `${age(d.createdAt)} ago` : "–"}</dd>
          </dl>
          {d.message && <p className="status-message">{d.message}</p>}
          <Conditions details={d} />
          <Pods details={d} base={base} />
          <Events details={d} />
          <details className="raw-spec">
            <summary>Spec</summary>
            <pre>{JSON.stringify(d.spec, null, 2)}</pre>
          </details>
        </>
      )}
    </section>
  );
}

function DeleteButton({ base, name }: { base: string; name: string }) {
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const remove = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.delete(base);
      navigate("/deployments");
    } catch (err) {
      setError(messageOf(err));
      setBusy(false);
    }
  };
  if (!confirming) {
    return (
      <button type="button" className="danger" onClick={() => setConfirming(true)}>
        Delete
      </button>
    );
  }
  return (
    <div className="confirm" role="alertdialog" aria-label="Confirm delete">
      <span>
        Delete <strong>{name}</strong> and everything it created?
      </span>
      <button type="button" className="danger" onClick={() => void remove()} disabled={busy}>
        Confirm delete
      </button>
      <button type="button" onClick={() => setConfirming(false)} disabled={busy}>
        Cancel
      </button>
      {error && <span className="field-error">{error}</span>}
    </div>
  );
}

/** Conditions whose True is the bad news. */
const NEGATIVE_CONDITIONS = new Set(["UnsupportedImage"]);

function conditionTone(type: string, status: string): "ok" | "bad" | "muted" {
  if (status !== "True" && status !== "False") return "muted";
  return (status === "True") !== NEGATIVE_CONDITIONS.has(type) ? "ok" : "bad";
}

function Conditions({ details }: { details: DeploymentDetails }) {
  return (
    <>
      <h2>Conditions</h2>
      {details.conditions.length === 0 ? (
        <p className="muted">No conditions yet.</p>
      ) : (
        <table className="table" aria-label="Conditions">
          <thead>
            <tr>
              <th>Type</th>
              <th>Status</th>
              <th>Reason</th>
              <th>Message</th>
              <th>Changed</th>
            </tr>
          </thead>
          <tbody>
            {details.conditions.map((c) => (
              <tr key={c.type}>
                <td>{c.type}</td>
                <td>
                  <span className={`badge badge-${conditionTone(c.type, c.status)}`}>{c.status}</span>
                </td>
                <td>{c.reason ?? ""}</td>
                <td className="wrap">{c.message ?? ""}</td>
                <td>{age(c.lastTransitionTime)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function Pods({ details, base }: { details: DeploymentDetails; base: string }) {
  const [pod, setPod] = useState<string | null>(null);
  const logs = useApi<PodLogs>(pod ? `${base}/logs?pod=${encodeURIComponent(pod)}&tailLines=100` : null);
  return (
    <>
      <h2>Pods</h2>
      {details.pods.length === 0 ? (
        <p className="muted">No pods.</p>
      ) : (
        <table className="table" aria-label="Pods">
          <thead>
            <tr>
              <th>Pod</th>
              <th>Phase</th>
              <th>Ready</th>
              <th>Restarts</th>
              <th>Node</th>
              <th>Reason</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {details.pods.map((p) => (
              <tr key={p.name}>
                <td className="mono">{p.name}</td>
                <td>{p.phase ?? "–"}</td>
                <td>{p.ready ? "yes" : "no"}</td>
                <td>{p.restarts}</td>
                <td>{p.node ?? "–"}</td>
                <td className="wrap" title={p.message ?? undefined}>
                  {[p.reason, p.message].filter(Boolean).join(": ")}
                </td>
                <td>
                  <button type="button" className="small" onClick={() => setPod(p.name)}>
                    Logs
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {pod && (
        <div className="logs">
          <div className="logs-head">
            <strong>Logs of {pod}</strong> (last 100 lines)
            <button type="button" className="small" onClick={logs.reload}>
              Refresh
            </button>
            <button type="button" className="small" onClick={() => setPod(null)}>
              Close
            </button>
          </div>
          <ErrorBox message={logs.error} />
          {logs.loading && <p className="muted">Loading…</p>}
          {!logs.loading && !logs.error && <pre data-testid="pod-logs">{logs.data?.logs || "(no output)"}</pre>}
        </div>
      )}
    </>
  );
}

function Events({ details }: { details: DeploymentDetails }) {
  return (
    <>
      <h2>Events</h2>
      {details.events.length === 0 ? (
        <p className="muted">No events.</p>
      ) : (
        <table className="table" aria-label="Events">
          <thead>
            <tr>
              <th>Type</th>
              <th>Reason</th>
              <th>Object</th>
              <th>Message</th>
              <th>Count</th>
              <th>Last seen</th>
            </tr>
          </thead>
          <tbody>
            {details.events.map((e, i) => (
              <tr key={i} className={e.type === "Warning" ? "warning-row" : ""}>
                <td>{e.type ?? ""}</td>
                <td>{e.reason ?? ""}</td>
                <td className="mono">{e.object ?? ""}</td>
                <td className="wrap">{e.message ?? ""}</td>
                <td>{e.count ?? 1}</td>
                <td>{age(e.lastTimestamp)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
