// Hash routes: #/<tenant>/<page>/<args...>. The fragment never reaches the server.
import { useEffect, useState } from "preact/hooks";

export interface Route {
  tenant: string | null;
  page: string;
  args: string[];
}

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  const [tenant = null, page = "approvals", ...args] = parts;
  return { tenant, page, args };
}

export const href = (tenant: string, ...parts: (string | number)[]) =>
  "#/" + [tenant, ...parts].map((p) => encodeURIComponent(String(p))).join("/");

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseRoute(location.hash));
    addEventListener("hashchange", changed);
    return () => removeEventListener("hashchange", changed);
  }, []);
  return route;
}
