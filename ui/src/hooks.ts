import { useCallback, useEffect, useRef, useState } from "react";
import { api, ApiError, messageOf } from "./api";

export interface Loaded<T> {
  data: T | null;
  error: string | null;
  /** HTTP status of the last failed request, when the server answered. */
  errorStatus: number | null;
  loading: boolean;
  reload: () => void;
}

/** GETs `path` (again every `intervalMs` when given); keeps the last good answer while a refresh fails. */
export function useApi<T>(path: string | null, intervalMs?: number): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [errorStatus, setErrorStatus] = useState<number | null>(null);
  const [loading, setLoading] = useState(path !== null);
  const [tick, setTick] = useState(0);
  const shownPath = useRef(path);

  useEffect(() => {
    if (path === null) return undefined;
    if (shownPath.current !== path) {
      // Another resource now: do not keep showing the previous one's answer while it loads.
      shownPath.current = path;
      setData(null);
      setError(null);
      setErrorStatus(null);
    }
    let cancelled = false;
    let timer: number | undefined;
    const load = async () => {
      try {
        const answer = await api.get<T>(path);
        if (!cancelled) {
          setData(answer);
          setError(null);
          setErrorStatus(null);
        }
      } catch (err) {
        if (!cancelled) {
          setError(messageOf(err));
          setErrorStatus(err instanceof ApiError ? err.status : null);
        }
      } finally {
        if (!cancelled) {
          setLoading(false);
          if (intervalMs) timer = window.setTimeout(load, intervalMs);
        }
      }
    };
    setLoading(true);
    void load();
    return () => {
      cancelled = true;
      window.clearTimeout(timer);
    };
  }, [path, intervalMs, tick]);

  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data, error, errorStatus, loading, reload };
}
