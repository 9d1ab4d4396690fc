/**
 * REST client for the panel. Every request carries `X-Acip-CSRF: 1`: the service demands a custom
 * header on cookie-authenticated POST/PUT/DELETE (a cross-site form cannot set one), and on reads it
 * marks the request as the panel's, so a 401 comes without a `WWW-Authenticate: Basic` challenge
 * (which would make the browser hold the request for its own password dialog). Errors come back as ApiError with the service's `{code, message, field?}`; a 401 also
 * calls `onUnauthorized` so the panel can show its login form. `fetch` is injected for tests.
 */
import type { ErrorBody } from './api-types.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body?: string; credentials: 'same-origin' }) => Promise<{
  ok: boolean;
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}>;

export interface ApiClientOptions {
  fetch: FetchLike;
  base?: string;
  onUnauthorized?: () => void;
}

export class ApiClient {
  constructor(private readonly o: ApiClientOptions) {}

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }
  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }
  put<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, body);
  }
  del<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json', 'X-Acip-CSRF': '1' };
    const init: Parameters<FetchLike>[1] = { method, headers, credentials: 'same-origin' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let res: Awaited<ReturnType<FetchLike>>;
    try {
      res = await this.o.fetch((this.o.base ?? '') + path, init);
    } catch (err) {
      throw new ApiError(0, 'UNREACHABLE', `service unreachable (${(err as Error).message})`);
    }
    const text = await res.text();
    let parsed: unknown = undefined;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    if (!res.ok) {
      if (res.status === 401) this.o.onUnauthorized?.();
      const b = (parsed ?? {}) as Partial<ErrorBody>;
      throw new ApiError(res.status, typeof b.code === 'string' ? b.code : `HTTP_${res.status}`, typeof b.message === 'string' ? b.message : `HTTP ${res.status}`, typeof b.field === 'string' ? b.field : undefined);
    }
    return parsed as T;
  }
}

/** "Dial failed: VALIDATION — to: not a SIP URI" */
export function describeError(action: string, err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 403) return `${action} refused: this login may only watch (viewer)`;
    return `${action} failed: ${err.message}`;
  }
  return `${action} failed: ${(err as Error)?.message ?? String(err)}`;
}
