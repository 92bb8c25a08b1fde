import { useEffect, useState } from "react";
import { AUTH_REQUIRED_EVENT } from "./api";
import { AuthBanner } from "./components/AuthBanner";
import { Header } from "./components/Header";
import { useApi } from "./hooks";
import { DeployPage } from "./pages/DeployPage";
import { DeploymentDetailsPage } from "./pages/DeploymentDetailsPage";
import { DeploymentsPage } from "./pages/DeploymentsPage";
import { ModelsPage } from "./pages/ModelsPage";
import { RuntimesPage } from "./pages/RuntimesPage";
import { SettingsPage } from "./pages/SettingsPage";
import { Link, useLocation, type Location } from "./router";
import type { Health } from "./types";

function Page({ location }: { location: Location }) {
  const { path, query } = location;
  const details = /^\/deployments\/([^/]+)\/([^/]+)\/?$/.exec(path);
  if (details) {
    return <DeploymentDetailsPage namespace={decodeURIComponent(details[1])} name={decodeURIComponent(details[2])} />;
  }
  switch (path.replace(/\/+$/, "") || "/") {
    case "/":
    case "/deployments":
      return <DeploymentsPage query={query} />;
    case "/models":
      return <ModelsPage />;
    case "/deploy":
      return <DeployPage query={query} />;
    case "/runtimes":
      return <RuntimesPage />;
    case "/settings":
      return <SettingsPage />;
    default:
      return (
        <section>
          <h1>Not found</h1>
          <p>
            No page at <code>{path}</code>. <Link href="/deployments">Go to deployments</Link>.
          </p>
        </section>
      );
  }
}

export function App() {
  const location = useLocation();
  const health = useApi<Health>("/api/health", 10000);
  const [authRequired, setAuthRequired] = useState(false);
  // Remounting the page after a new token makes every page load again with it.
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    const onAuth = () => setAuthRequired(true);
    window.addEventListener(AUTH_REQUIRED_EVENT, onAuth);
    return () => window.removeEventListener(AUTH_REQUIRED_EVENT, onAuth);
  }, []);

  const authEnabled = health.data?.auth.enabled ?? false;
  return (
    <>
      <Header
        path={location.path}
        health={health.data}
        healthError={health.error}
        onForgetToken={() => setGeneration((n) => n + 1)}
      />
      {authEnabled && authRequired && (
        <AuthBanner
          onToken={() => {
            setAuthRequired(false);
            setGeneration((n) => n + 1);
          }}
        />
      )}
      <main key={generation}>
        <Page location={location} />
      </main>
    </>
  );
}
