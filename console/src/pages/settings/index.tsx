// Tenant settings for TenantAdmins: policies, model routes, connections and role assignments.
import { Fragment } from "preact";
import { tenantPath, type Api } from "../../api";
import { Heading, Loading, Problem, useLoad, Value } from "../../ui";

const PARTS = [
  ["Patch policy", "policies/patch"],
  ["Trigger policy", "policies/trigger"],
  ["LLM routes", "policies/model-route"],
  ["SCM connections", "connections"],
  ["Role assignments", "role-assignments"],
] as const;

export function SettingsPage({ api }: { api: Api }) {
  return (
    <section aria-labelledby="page-title">
      <Heading>Tenant settings</Heading>
      <p class="muted">
        Read from the admin API; change them there (PUT with If-Match) or with <code>python -m tools.admin</code>.
      </p>
      <div class="cards">
        {PARTS.map(([title, path]) => (
          <Part key={path} api={api} title={title} path={path} />
        ))}
      </div>
    </section>
  );
}

function Part({ api, title, path }: { api: Api; title: string; path: string }) {
  const value = useLoad(() => api.get<Record<string, unknown>>(tenantPath(api, path)), [api, path]);
  const id = path.replace(/\W/g, "-");
  return (
    <section class="card" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {value.error && <Problem error={value.error} />}
      {!value.data && !value.error && <Loading what={title.toLowerCase()} />}
      {value.data && (
        <dl class="facts">
          {Object.entries(value.data).map(([key, v]) => (
            <Fragment key={key}>
              <dt>{key.replaceAll("_", " ")}</dt>
              <dd>
                <Value value={v} label={key} />
              </dd>
            </Fragment>
          ))}
        </dl>
      )}
    </section>
  );
}

