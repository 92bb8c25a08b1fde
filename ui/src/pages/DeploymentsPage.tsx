import { ErrorBox, Loading, PageTitle, PhaseBadge } from "../components/Common";
import { age, replicasText } from "../format";
import { useApi } from "../hooks";
import { useState, type FormEvent } from "react";
import { Link, navigate } from "../router";
import type { DeploymentSummary } from "../types";

const REFRESH_MS = 3000;

export function detailsHref(d: { namespace: string; name: string }): string {
  return `/deployments/${encodeURIComponent(d.namespace)}/${encodeURIComponent(d.name)}`;
}

function listHref(namespace: string): string {
  return namespace ? `/deployments?namespace=${encodeURIComponent(namespace)}` : "/deployments";
}

/** All namespaces, or one: a select when the caller may list namespaces, else a text field. */
function NamespacePicker({ value }: { value: string }) {
  const namespaces = useApi<{ items: string[] }>("/api/namespaces");
  const [typed, setTyped] = useState(value);
  if (namespaces.error === null) {
    const options = [...new Set([...(namespaces.data?.items ?? []), value].filter(Boolean))].sort();
    return (
      <select
        aria-label="Namespace filter"
        value={value}
        disabled={!namespaces.data}
        onChange={(e) => navigate(listHref(e.target.value))}
      >
        <option value="">All namespaces</option>
        {options.map((ns) => (
          <option key={ns} value={ns}>
            {ns}
          </option>
        ))}
      </select>
    );
  }
  const submit = (event: FormEvent) => {
    event.preventDefault();
    navigate(listHref(typed.trim()));
  };
  return (
    <form className="search" onSubmit={submit}>
      <input aria-label="Namespace filter" placeholder="all namespaces" value={typed} onChange={(e) => setTyped(e.target.value)} />
      <button type="submit">Show</button>
    </form>
  );
}

export function DeploymentsPage({ query }: { query: URLSearchParams }) {
  const namespace = query.get("namespace") ?? "";
  const path = namespace ? `/api/deployments?namespace=${encodeURIComponent(namespace)}` : "/api/deployments";
  const list = useApi<{ items: DeploymentSummary[] }>(path, REFRESH_MS);
  const items = [...(list.data?.items ?? [])].sort(
    (a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name),
  );
  return (
    <section>
      <PageTitle title="Deployments">
        <span className="muted small">refreshes every {REFRESH_MS / 1000}s</span>
        <NamespacePicker key={namespace} value={namespace} />
        <Link href="/deploy" className="button primary">
          Deploy a model
        </Link>
      </PageTitle>
      <ErrorBox message={list.error} />
      {list.errorStatus === 403 && !namespace && (
        <p className="muted" data-testid="pick-namespace">
          You may not list ModelDeployments in all namespaces: pick a namespace you have access to.
        </p>
      )}
      <Loading show={list.loading && !list.data} />
      {list.data && items.length === 0 && (
        <p className="empty">
          No ModelDeployments yet. <Link href="/models">Pick a model</Link> or <Link href="/deploy">deploy one by id</Link>.
        </p>
      )}
      {items.length > 0 && (
        <table className="table" aria-label="Deployments">
          <thead>
            <tr>
              <th>Name</th>
              <th>Namespace</th>
              <th>Model</th>
              <th>Phase</th>
              <th>Provider</th>
              <th>Engine</th>
              <th>Replicas</th>
              <th>Age</th>
            </tr>
          </thead>
          <tbody>
            {items.map((d) => (
              <tr key={`${d.namespace}/${d.name}`} data-deployment={`${d.namespace}/${d.name}`}>
                <td>
                  <Link href={detailsHref(d)}>{d.name}</Link>
                </td>
                <td>{d.namespace}</td>
                <td className="mono">{d.modelId ?? "–"}</td>
                <td data-testid="phase" title={d.message ?? undefined}>
                  <PhaseBadge phase={d.phase} />
                </td>
                <td>{d.provider ?? "–"}</td>
                <td>{d.engine ?? "–"}</td>
                <td data-testid="replicas">{replicasText(d.replicas)}</td>
                <td>{age(d.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
