// The admin API, called with the signed-in user's bearer token. Errors keep the API's
// machine-readable code ({"error": code, "message": ...} or a problem document).
import type { Session } from "./auth";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Where the admin API is, from ``console.json`` beside the bundle: the Functions app serving
 * the console answers ``{"api": "../"}`` (its own /api/); a Static Web App deployment writes
 * the Function App's absolute API URL there. */
export async function findApi(consoleBase: string): Promise<string> {
  const response = await fetch(new URL("console.json", consoleBase));
  if (!response.ok) throw new ApiError(response.status, "no-console-json", "console.json is missing");
  const settings: { api: string } = await response.json();
  return new URL(settings.api, consoleBase).href;
}

export interface Api {
  tenant: string;
  get<T>(path: string): Promise<T>;
  /** The body and its ``ETag``, for a change sent back with ``If-Match``. */
  tagged<T>(path: string): Promise<{ body: T; etag: string }>;
  text(path: string): Promise<string>;
  send<T>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T>;
}

/** ``path`` is relative to /api/ (``tenants/demo/tasks``) or absolute (``/api/models/..``). */
export function makeApi(apiBase: string, session: Session, tenant: string): Api {
  async function call(method: string, path: string, body?: unknown, extra?: Record<string, string>) {
    const headers: Record<string, string> = {
      Authorization: `Bearer ${await session.token()}`,
      Accept: "application/json",
      ...extra,
    };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(new URL(path, apiBase), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
    });
    if (!response.ok) {
      let code = `http-${response.status}`;
      let message = response.statusText;
      try {
        const problem = await response.json();
        code = problem.code ?? problem.error ?? code;
        message = problem.detail ?? problem.message ?? message;
      } catch {
        // not JSON: keep the status text
      }
      throw new ApiError(response.status, code, message);
    }
    return response;
  }
  return {
    tenant,
    get: async (path) => (await call("GET", path)).json(),
    tagged: async (path) => {
      const response = await call("GET", path);
      return { body: await response.json(), etag: response.headers.get("ETag") ?? "" };
    },
    text: async (path) => (await call("GET", path)).text(),
    send: async (method, path, body, headers) => {
      const response = await call(method, path, body, headers);
      return response.status === 204 ? undefined : response.json();
    },
  };
}

export const tenantPath = (api: Api, rest: string) =>
  `tenants/${encodeURIComponent(api.tenant)}/${rest}`;
