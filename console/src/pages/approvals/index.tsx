// The approvals queue: tasks waiting for a decision the caller may take, newest first.
import { tenantPath, type Api } from "../../api";
import { href } from "../../route";
import type { ApprovalQueue } from "../../types";
import { Badge, Heading, Loading, Problem, useLoad, When } from "../../ui";

export function ApprovalsPage({ api }: { api: Api }) {
  const queue = useLoad(
    () => api.get<ApprovalQueue>(tenantPath(api, "approvals")),
    [api],
  );
  return (
    <section aria-labelledby="page-title">
      <Heading>Approvals</Heading>
      <p class="muted">Changes waiting for your decision. Open one to review its diff.</p>
      {queue.error && <Problem error={queue.error} />}
      {!queue.data && !queue.error && <Loading what="the queue" />}
      {queue.data && queue.data.items.length === 0 && <p>Nothing is waiting for a decision.</p>}
      {queue.data && queue.data.items.length > 0 && (
        <ul class="list" aria-label="Tasks waiting for a decision">
          {queue.data.items.map(({ task, risk }) => (
            <li key={task.id} class="list-item">
              <a href={href(api.tenant, "tasks", task.id)} class="list-title">
                {task.repository} #{task.source_id}: {task.command}
              </a>
              <div class="list-meta">
                <span>{task.repository}</span>
                <span>requested by {task.requester}</span>
                <When at={task.created_at} />
                {risk && <Badge kind={String(risk.level)}>{String(risk.level)} risk</Badge>}
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
