// The audit explorer: the tenant's hash-chained log, filtered, verified and exported.
import { useState } from "preact/hooks";
import { tenantPath, type Api } from "../../api";
import { href } from "../../route";
import type { AuditPage, ChainCheck } from "../../types";
import { Heading, Loading, Problem, useLoad, When } from "../../ui";

export function AuditPage({ api }: { api: Api }) {
  const [filter, setFilter] = useState({ kind: "", actor: "" });
  const [draft, setDraft] = useState(filter);
  const [check, setCheck] = useState<ChainCheck | Error | null>(null);
  const [exported, setExported] = useState<string | null>(null);
  const query = new URLSearchParams({ limit: "100" });
  if (filter.kind) query.set("kind", filter.kind);
  if (filter.actor) query.set("actor", filter.actor);
  const events = useLoad(
    () => api.get<AuditPage>(tenantPath(api, `audit?${query}`)),
    [api, filter],
  );
  async function verify() {
    setCheck(null);
    try {
      setCheck(await api.get<ChainCheck>(tenantPath(api, "audit/verify")));
    } catch (e) {
      setCheck(e as Error);
    }
  }
  async function exportChain() {
    const lines = await api.text(tenantPath(api, "audit/export"));
    if (exported) URL.revokeObjectURL(exported);
    setExported(URL.createObjectURL(new Blob([lines], { type: "application/jsonl" })));
  }
  return (
    <section aria-labelledby="page-title">
      <Heading>Audit log</Heading>
      <form
        class="toolbar"
        role="search"
        aria-label="Filter the audit log"
        onSubmit={(e) => (e.preventDefault(), setFilter(draft))}
      >
        <label for="kind">Event kind</label>
        <input id="kind" value={draft.kind} onInput={(e) => setDraft({ ...draft, kind: e.currentTarget.value })} />
        <label for="actor">Actor</label>
        <input id="actor" value={draft.actor} onInput={(e) => setDraft({ ...draft, actor: e.currentTarget.value })} />
        <button type="submit">Filter</button>
        <span class="spacer" />
        <button type="button" onClick={verify}>Verify chain</button>
        <button type="button" onClick={exportChain}>Export</button>
        {exported && (
          <a href={exported} download={`audit-${api.tenant}.jsonl`}>
            Download the export (JSON Lines)
          </a>
        )}
      </form>
      {check instanceof Error && <Problem error={check} />}
      {check && !(check instanceof Error) && (
        <p role="status" class={check.ok ? "ok" : "problem"}>
          {check.ok
            ? `Chain verified: ${check.checked} events, every hash links to the one before.`
            : `Chain BROKEN at event ${check.broken_at}: ${check.reason}`}
        </p>
      )}
      {events.error && <Problem error={events.error} />}
      {!events.data && !events.error && <Loading what="audit events" />}
      {events.data && (
        <table class="grid">
          <caption class="visually-hidden">Audit events, newest first</caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">When</th>
              <th scope="col">Kind</th>
              <th scope="col">Actor</th>
              <th scope="col">Task</th>
              <th scope="col">Hash</th>
            </tr>
          </thead>
          <tbody>
            {events.data.items.map((event) => (
              <tr key={event.seq}>
                <td>{event.seq}</td>
                <td><When at={event.occurred_at} /></td>
                <td>{event.kind}</td>
                <td>{event.actor}</td>
                <td>{event.task_id && <a href={href(api.tenant, "tasks", event.task_id)}>{event.task_id.slice(0, 8)}</a>}</td>
                <td><code title={event.hash}>{event.hash.slice(0, 12)}</code></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
