// A task's history: status changes and audit events, oldest first.
import { tenantPath, type Api } from "../../api";
import { href } from "../../route";
import type { Timeline } from "../../types";
import { Badge, Heading, Loading, Problem, useLoad, When } from "../../ui";

export function TimelinePage({ api, id }: { api: Api; id: string }) {
  const timeline = useLoad(
    () => api.get<Timeline>(tenantPath(api, `tasks/${id}/timeline`)),
    [api, id],
  );
  return (
    <section aria-labelledby="page-title">
      <Heading>Timeline</Heading>
      <p>
        <a href={href(api.tenant, "tasks", id)}>Back to the task</a>
      </p>
      {timeline.error && <Problem error={timeline.error} />}
      {!timeline.data && !timeline.error && <Loading what="the timeline" />}
      {timeline.data && (
        <ol class="timeline" aria-label="Events of the task">
          {timeline.data.entries.map((entry, i) => (
            <li key={i}>
              <When at={entry.at} /> <strong>{entry.kind}</strong>
              {entry.status && <> <Badge kind={entry.status}>{entry.status.replace("_", " ")}</Badge></>}
              <span class="muted"> by {entry.actor}</span>
              {Object.keys(entry.data).length > 0 && (
                <details>
                  <summary>Details</summary>
                  <pre class="json" tabIndex={0} aria-label={`Details of ${entry.kind}`}>
                    {JSON.stringify(entry.data, null, 2)}
                  </pre>
                </details>
              )}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
