export function age(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return "–";
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  return duration(seconds);
}

export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "–";
  if (seconds < 90) return `${Math.round(seconds)}s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)}m`;
  if (seconds < 36 * 3600) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86400)}d`;
}

export function replicasText(r: { desired?: number | null; ready?: number | null } | null): string {
  return `${r?.ready ?? 0}/${r?.desired ?? 0}`;
}
