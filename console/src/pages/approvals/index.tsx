// The approvals queue, as blades: the tasks waiting for the caller's decision on the left, the
// selected one's review (diff, risk, check, decision) on the right, like a PR review.
import { tenantPath, type Api } from "../../api";
import { href } from "../../route";
import type { ApprovalQueue, WhoAmI } from "../../types";
import { Badge, Heading, Loading, Problem, useLoad, When } from "../../ui";
import { TaskPage } from "../task";

export function ApprovalsPage({ api, me, args }: { api: Api; me: WhoAmI; args: string[] }) {
  const selected = args[0];
  const queue = useLoad(() => api.get<ApprovalQueue>(tenantPath(api, "approvals")), [api]);
  const list = (
    <section aria-labelledby="page-title" class="blade-list">
      <Heading>Approvals</Heading>
      <p class="muted">Changes waiting for your decision. Open one to review its diff.</p>
      {queue.error && <Problem error={queue.error} />}
      {!queue.data && !queue.error && <Loading what="the queue" />}
      {queue.data && queue.data.items.length === 0 && <p>Nothing is waiting for a decision.</p>}
      {queue.data && queue.data.items.length > 0 && (
        <ul class="list" aria-label="Tasks waiting for a decision">
          {queue.data.items.map(({ task, risk }) => (
            <li key={task.id} class={task.id === selected ? "list-item selected" : "list-item"}>
              <a
                href={href(api.tenant, "approvals", task.id)}
                class="list-title"
                aria-current={task.id === selected ? "true" : undefined}
              >
                {task.repository} #{task.source_id}: {task.command}
              </a>
              <div class="list-meta">
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
  if (!selected) return list;
  return (
    <div class="blades">
      {list}
      <div class="blade-detail">
        <TaskPage key={selected} api={api} me={me} id={selected} onDecided={queue.reload} />
      </div>
    </div>
  );
}
