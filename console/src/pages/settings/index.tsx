// Tenant settings for TenantAdmins: policies, model routes, connections and role assignments.
import { Fragment } from "preact";
import { useState } from "preact/hooks";
import { ApiError, tenantPath, type Api } from "../../api";
import type { PatchPolicy } from "../../types";
import { Heading, Loading, Problem, useLoad, Value } from "../../ui";

const PARTS = [
  ["Patch policy", "policies/patch"],
  ["Trigger policy", "policies/trigger"],
  ["LLM routes", "policies/model-route"],
  ["SCM connections", "connections"],
  ["Role assignments", "role-assignments"],
] as const;

export function SettingsPage({ api }: { api: Api }) {
  const [version, setVersion] = useState(0); // a saved change reloads every card
  return (
    <section aria-labelledby="page-title">
      <Heading>Tenant settings</Heading>
      <p class="muted">
        The approval rule is changed here; the rest through the admin API (PUT with If-Match) or{" "}
        <code>python -m tools.admin</code>.
      </p>
      <div class="cards">
        <ApprovalPolicy api={api} onSaved={() => setVersion((v) => v + 1)} />
        {PARTS.map(([title, path]) => (
          <Part key={`${path}-${version}`} api={api} title={title} path={path} />
        ))}
      </div>
    </section>
  );
}

/** A list answer (``{"items": [...]}``, ``{"routes": [...]}``) is shown as its one table. */
function single(body: Record<string, unknown>): unknown[] | null {
  const values = Object.values(body);
  return values.length === 1 && Array.isArray(values[0]) ? values[0] : null;
}

function Part({ api, title, path }: { api: Api; title: string; path: string }) {
  const value = useLoad(() => api.get<Record<string, unknown>>(tenantPath(api, path)), [api, path]);
  const id = path.replace(/\W/g, "-");
  return (
    <section class="card" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {value.error && <Problem error={value.error} />}
      {!value.data && !value.error && <Loading what={title.toLowerCase()} />}
      {value.data && single(value.data) && <Value value={single(value.data)} label={title} />}
      {value.data && !single(value.data) && (
        <dl class="facts">
          {Object.entries(value.data).map(([key, v]) => (
            <Fragment key={key}>
              <dt>{key.replaceAll("_", " ")}</dt>
              <dd>
                <Value value={v} label={key} empty="default" />
              </dd>
            </Fragment>
          ))}
        </dl>
      )}
    </section>
  );
}


/** When a human must approve, and how long a task waits for it: sent back with the ETag it was
 * read with, so a change made elsewhere meanwhile is not overwritten (412: read again). */
function ApprovalPolicy({ api, onSaved }: { api: Api; onSaved: () => void }) {
  const path = tenantPath(api, "policies/patch");
  const policy = useLoad(() => api.tagged<PatchPolicy>(path), [api]);
  const [draft, setDraft] = useState<{ approval?: string; hours?: string }>({});
  const [outcome, setOutcome] = useState<Error | string | null>(null);
  if (policy.error) return <Problem error={policy.error} />;
  if (!policy.data) return <Loading what="the approval rule" />;
  const { body, etag } = policy.data;
  const approval = draft.approval ?? body.approval ?? "always";
  const hours = draft.hours ?? String(body.approval_timeout_hours ?? "");
  async function save(event: Event) {
    event.preventDefault();
    setOutcome(null);
    const changed: PatchPolicy = {
      ...body,
      approval: approval as PatchPolicy["approval"],
      approval_timeout_hours: hours ? Number(hours) : null,
    };
    try {
      await api.send("PUT", path, changed, { "If-Match": etag });
      setOutcome("Saved.");
      setDraft({});
      policy.reload();
      onSaved();
    } catch (e) {
      const stale = e instanceof ApiError && e.status === 412;
      setOutcome(stale ? new Error("Changed elsewhere meanwhile: read again, then save.") : (e as Error));
      if (stale) policy.reload();
    }
  }
  return (
    <section class="card" aria-labelledby="approval-rule">
      <h2 id="approval-rule">Approval rule</h2>
      <form class="stack" onSubmit={save}>
        <label for="approval">Human approval</label>
        <select id="approval" value={approval} onChange={(e) => setDraft({ ...draft, approval: e.currentTarget.value })}>
          <option value="always">always</option>
          <option value="risk">when the risk assessment asks for it</option>
          <option value="never">never</option>
        </select>
        <label for="approval-hours">Hours a task waits for a decision</label>
        <input id="approval-hours" type="number" min="1" step="1" value={hours}
          onInput={(e) => setDraft({ ...draft, hours: e.currentTarget.value })} />
        <div class="actions">
          <button type="submit" class="primary">Save</button>
        </div>
        {typeof outcome === "string" && <p role="status" class="ok">{outcome}</p>}
        {outcome instanceof Error && <Problem error={outcome} />}
      </form>
    </section>
  );
}
