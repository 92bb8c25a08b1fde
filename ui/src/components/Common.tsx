import type { ReactNode } from "react";

export function ErrorBox({ message, title }: { message: string | null; title?: string }) {
  if (!message) return null;
  return (
    <div className="alert alert-error" role="alert">
      {title && <strong>{title}</strong>}
      <pre className="message">{message}</pre>
    </div>
  );
}

export function Notice({ kind, children }: { kind: "info" | "warn"; children: ReactNode }) {
  return (
    <div className={`alert alert-${kind}`} role="status">
      {children}
    </div>
  );
}

const PHASE_CLASS: Record<string, string> = {
  Running: "ok",
  Deploying: "progress",
  Pending: "progress",
  Failed: "bad",
  Terminating: "muted",
};

export function PhaseBadge({ phase }: { phase: string | null }) {
  const text = phase || "Unknown";
  return <span className={`badge badge-${PHASE_CLASS[text] ?? "muted"}`}>{text}</span>;
}

export function StatusDot({ ok, label }: { ok: boolean | null; label: string }) {
  const state = ok === null ? "muted" : ok ? "ok" : "bad";
  return (
    <span className={`badge badge-${state}`}>
      <span className="dot" /> {label}
    </span>
  );
}

export function PageTitle({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="page-title">
      <h1>{title}</h1>
      <div className="page-actions">{children}</div>
    </div>
  );
}

export function Loading({ show }: { show: boolean }) {
  return show ? <p className="muted">Loading…</p> : null;
}
