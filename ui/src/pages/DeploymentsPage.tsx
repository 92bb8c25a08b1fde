import { ErrorBox, Loading, PageTitle, PhaseBadge } from "../components/Common";
import { age, replicasText } from "../format";
import { useApi } from "../hooks";
import { Link } from "../router";
import type { DeploymentSummary } from "../types";

const REFRESH_MS = 3000;

export function detailsHref(d: { namespace: string; name: string }): string {
  return `/deployments/${encodeURIComponent(d.namespace)}/${encodeURIComponent(d.name)}`;
}

export function DeploymentsPage() {
  const list = useApi<{ items: DeploymentSummary[] }>("/api/deployments", REFRESH_MS);
  const items = [...(list.data?.items ?? [])].sort(
    (a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name),
  );
  return (
    <section>
      <PageTitle title="Deployments">
        <span className="muted small">refreshes every {REFRESH_MS / 1000}s</span>
        <Link href="/deploy" className="button primary">
          Deploy a model
        </Link>
      </PageTitle>
      <ErrorBox message={list.error} />
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
