// The console's entry: find the tenant (the route), read where its users sign in, sign in
// (a popup at the identity provider, opened by the user's click), ask the API who the user is
// on this tenant, then show the page the route names.
import { render } from "preact";
import { useState } from "preact/hooks";
import { ApiError, findApi, makeApi, type Api } from "./api";
import type { PublicClientApplication } from "@azure/msal-browser";
import { consoleBase, signIn, signInClient, type Session, type SignInConfig } from "./auth";
import { ApprovalsPage } from "./pages/approvals";
import { AuditPage } from "./pages/audit";
import { ModelsPage } from "./pages/models";
import { SettingsPage } from "./pages/settings";
import { TaskPage } from "./pages/task";
import { TasksPage } from "./pages/tasks";
import { TimelinePage } from "./pages/timeline";
import { UsagePage } from "./pages/usage";
import { href, parseRoute, useRoute } from "./route";
import type { WhoAmI } from "./types";
import { Heading, Problem } from "./ui";

function Shell({ session, api, me }: { session: Session; api: Api; me: WhoAmI }) {
  const route = useRoute();
  const pages = [
    ["approvals", "Approvals", me.may.approve],
    ["tasks", "Tasks", true],
    ["audit", "Audit", me.may.audit],
    ["usage", "Usage", me.may.usage],
    ["models", "Models", true],
    ["settings", "Settings", me.may.admin_settings],
  ] as const;
  // Someone who may not decide has no queue: their console opens on the tasks.
  const page = route.page === "approvals" && !me.may.approve ? "tasks" : route.page;
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById("main")?.focus())}>
        Skip to content
      </a>
      <header class="top" role="banner">
        <span class="brand">AI Code Agent</span>
        <dl class="who" aria-label="Signed in">
          <dt>Tenant</dt>
          <dd data-testid="tenant">
            {me.tenant.display_name.includes(me.tenant.slug)
              ? me.tenant.display_name
              : `${me.tenant.display_name} (${me.tenant.slug})`}
          </dd>
          <dt>User</dt>
          <dd data-testid="user">{me.user.preferred_username}</dd>
          <dt>Role</dt>
          <dd data-testid="roles">{me.roles.join(", ") || "none"}</dd>
        </dl>
        <button type="button" class="link" onClick={() => session.signOut().finally(() => location.reload())}>
          Sign out
        </button>
      </header>
      <nav class="nav" aria-label="Console">
        <ul>
          {pages
            .filter(([, , shown]) => shown)
            .map(([name, label]) => (
              <li key={name}>
                <a href={href(me.tenant.slug, name)} aria-current={page === name ? "page" : undefined}>
                  {label}
                </a>
              </li>
            ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        <Page api={api} me={me} page={page} args={route.args} />
      </main>
    </>
  );
}

function Page({ api, me, page, args }: { api: Api; me: WhoAmI; page: string; args: string[] }) {
  const key = [page, ...args].join("/");
  // The queue stays mounted while the selected task changes (a blade beside it).
  if (page === "approvals") return <ApprovalsPage key="approvals" api={api} me={me} args={args} />;
  if (page === "tasks" && args[0] && args[1] === "timeline") return <TimelinePage key={key} api={api} id={args[0]} />;
  if (page === "tasks" && args[0]) return <TaskPage key={key} api={api} me={me} id={args[0]} />;
  if (page === "tasks") return <TasksPage key={key} api={api} />;
  if (page === "audit") return <AuditPage key={key} api={api} />;
  if (page === "usage") return <UsagePage key={key} api={api} />;
  if (page === "models") return <ModelsPage key={key} api={api} args={args} />;
  if (page === "settings") return <SettingsPage key={key} api={api} />;
  return (
    <>
      <Heading>Not found</Heading>
      <p>The console has no page “{page}”.</p>
    </>
  );
}

function TenantPicker({ error }: { error?: Error }) {
  const [slug, setSlug] = useState("");
  return (
    <main id="main" class="narrow">
      <Heading>Sign in to the console</Heading>
      {error && <Problem error={error} />}
      <form onSubmit={(e) => (e.preventDefault(), (location.hash = href(slug.trim(), "approvals")))}>
        <label for="tenant">Tenant</label>
        <input id="tenant" required pattern="[a-z][a-z0-9-]{1,40}" value={slug}
          onInput={(e) => setSlug(e.currentTarget.value)} />
        <button type="submit" class="primary">Continue</button>
      </form>
    </main>
  );
}

/** The sign-in facts come from the app that serves the API (at its /console/, beside /api/):
 * in Azure the Static Web App holds only the bundle. */
async function configFor(apiBase: string, tenant: string): Promise<SignInConfig> {
  const config = `../console/config.json?tenant=${encodeURIComponent(tenant)}`;
  const response = await fetch(new URL(config, apiBase));
  const body = await response.json();
  if (!response.ok) throw new ApiError(response.status, body.error, body.message);
  return body;
}

interface SignInProps {
  apiBase: string;
  client: PublicClientApplication;
  config: SignInConfig;
  root: HTMLElement;
}

function SignIn({ apiBase, client, config, root }: SignInProps) {
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);
  async function go() {
    setBusy(true);
    setError(null);
    try {
      const session = await signIn(client, config);
      const api = makeApi(apiBase, session, config.tenant);
      const me = await api.get<WhoAmI>(`tenants/${encodeURIComponent(config.tenant)}/me`);
      render(<Shell session={session} api={api} me={me} />, root);
    } catch (e) {
      setError(e as Error);
      setBusy(false);
    }
  }
  return (
    <main id="main" class="narrow">
      <Heading>Sign in to {config.tenant}</Heading>
      <p>Sign in with your organisation's account to review changes, audit trails and cost.</p>
      {error && <Problem error={error} />}
      <button type="button" class="primary" disabled={busy} onClick={go}>
        Sign in
      </button>
    </main>
  );
}

async function start(root: HTMLElement) {
  const tenant = parseRoute(location.hash).tenant;
  // Another tenant is another sign-in (another directory): start over.
  addEventListener("hashchange", () => {
    const next = parseRoute(location.hash).tenant;
    if (next && next !== tenant) location.reload();
  });
  if (!tenant) return render(<TenantPicker />, root);
  try {
    const apiBase = await findApi(consoleBase);
    const config = await configFor(apiBase, tenant);
    const client = await signInClient(config);
    render(<SignIn apiBase={apiBase} client={client} config={config} root={root} />, root);
  } catch (error) {
    render(<TenantPicker error={error as Error} />, root);
  }
}

const root = document.getElementById("root")!;
root.textContent = ""; // the static "Loading" line: Preact renders into an empty root
void start(root);
