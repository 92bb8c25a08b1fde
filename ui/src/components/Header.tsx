import { storedToken, storeToken } from "../api";
import { Link } from "../router";
import type { Health } from "../types";
import { StatusDot } from "./Common";

const NAV: [string, string][] = [
  ["/models", "Models"],
  ["/deploy", "Deploy"],
  ["/deployments", "Deployments"],
  ["/runtimes", "Runtimes"],
  ["/settings", "Settings"],
];

interface HeaderProps {
  path: string;
  health: Health | null;
  healthError: string | null;
  onForgetToken: () => void;
}

export function Header({ path, health, healthError, onForgetToken }: HeaderProps) {
  let status = <StatusDot ok={null} label="Cluster: checking…" />;
  if (healthError) {
    status = <StatusDot ok={false} label="Backend unreachable" />;
  } else if (health) {
    const { cluster } = health;
    status = cluster.connected ? (
      <StatusDot ok label={`Cluster connected${cluster.version ? ` (${cluster.version})` : ""}`} />
    ) : (
      <span title={cluster.error ?? undefined}>
        <StatusDot ok={false} label="Cluster unavailable" />
      </span>
    );
  }
  return (
    <header className="header">
      <Link href="/" className="brand">
        AI Runway
      </Link>
      <nav>
        {NAV.map(([href, label]) => (
          <Link key={href} href={href} className={path === href || path.startsWith(`${href}/`) ? "active" : ""}>
            {label}
          </Link>
        ))}
      </nav>
      <div className="header-status" data-testid="cluster-status">
        {status}
        {health && !health.auth.enabled && <span className="badge badge-warn">auth off</span>}
        {health?.auth.enabled && storedToken() !== null && (
          <button
            type="button"
            className="small ghost"
            onClick={() => {
              storeToken(null);
              onForgetToken();
            }}
          >
            Forget token
          </button>
        )}
      </div>
    </header>
  );
}
