// The backend client: same origin, JSON, with the bearer token when one is stored.

const TOKEN_KEY = "airunway.token";
export const AUTH_REQUIRED_EVENT = "airunway:auth-required";

export function storedToken(): string | null {
  return window.localStorage.getItem(TOKEN_KEY);
}

export function storeToken(token: string | null): void {
  if (token) {
    window.localStorage.setItem(TOKEN_KEY, token);
  } else {
    window.localStorage.removeItem(TOKEN_KEY);
  }
}

/** Takes a `#token=...` handed over in the URL (e.g. by a login helper) and removes it from the address bar. */
export function adoptTokenFromHash(): void {
  const match = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
  if (!match) return;
  storeToken(decodeURIComponent(match[1]));
  window.history.replaceState(null, "", window.location.pathname + window.location.search);
}

export class ApiError extends Error {
  readonly status: number;
  readonly body: unknown;

  constructor(status: number, body: unknown, fallback: string) {
    super(errorText(body) ?? fallback);
    this.status = status;
    this.body = body;
  }
}

interface ValidationItem {
  loc?: (string | number)[];
  msg?: string;
}

/**
 * The message a person should read, kept as the server wrote it: FastAPI's 422 list becomes
 * "<field path>: <msg>" lines; an API server rejection keeps its message verbatim.
 */
export function errorText(body: unknown): string | null {
  if (!body || typeof body !== "object") return typeof body === "string" && body ? body : null;
  const detail = (body as { detail?: unknown }).detail;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail
      .map((item: ValidationItem) => {
        const loc = (item.loc ?? []).filter((part) => part !== "body").join(".");
        return loc ? `${loc}: ${item.msg ?? ""}` : item.msg ?? "";
      })
      .join("\n");
  }
  if (detail && typeof detail === "object" && "message" in detail) {
    return String((detail as { message: unknown }).message);
  }
  return null;
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  const token = storedToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let payload: unknown = null;
  if (text) {
    try {
      payload = JSON.parse(text);
    } catch {
      payload = text;
    }
  }
  if (response.status === 401) {
    window.dispatchEvent(new Event(AUTH_REQUIRED_EVENT));
  }
  if (!response.ok) {
    throw new ApiError(response.status, payload, `${method} ${path} failed: HTTP ${response.status}`);
  }
  return payload as T;
}

export const api = {
  get: <T>(path: string) => request<T>("GET", path),
  post: <T>(path: string, body?: unknown) => request<T>("POST", path, body ?? {}),
  put: <T>(path: string, body: unknown) => request<T>("PUT", path, body),
  delete: <T>(path: string) => request<T>("DELETE", path),
};

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
