import { useState, type FormEvent } from "react";
import { storedToken, storeToken } from "../api";

/** Shown when the backend has auth on and a call was refused (401): asks for a Kubernetes bearer token. */
export function AuthBanner({ onToken }: { onToken: () => void }) {
  const [token, setToken] = useState("");
  const hadToken = storedToken() !== null;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!token.trim()) return;
    storeToken(token.trim());
    setToken("");
    onToken();
  };
  return (
    <form className="auth-banner" onSubmit={submit}>
      <span>
        {hadToken ? "The stored token was refused." : "This backend requires authentication."} Paste a Kubernetes
        bearer token (for example from <code>kubectl create token &lt;service-account&gt;</code>):
      </span>
      <input
        type="password"
        aria-label="Bearer token"
        value={token}
        onChange={(e) => setToken(e.target.value)}
        placeholder="token"
        autoComplete="off"
      />
      <button type="submit" className="primary">
        Use token
      </button>
      {hadToken && (
        <button type="button" onClick={() => { storeToken(null); onToken(); }}>
          Forget token
        </button>
      )}
    </form>
  );
}
