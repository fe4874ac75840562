// One task, as a reviewer reads it: the side-by-side diff, risk reasons, the check's output,
// lineage and the model card, with the decision where the eye already is (the right column).
import { Fragment } from "preact";
import { useEffect, useState } from "preact/hooks";
import { tenantPath, type Api } from "../../api";
import { href } from "../../route";
import type { TaskDetail, WhoAmI } from "../../types";
import { Badge, Heading, Loading, Problem, useLoad, When } from "../../ui";
import { Decide } from "./decide";
import { SideBySide } from "./diff";

const FINAL = new Set(["completed", "failed", "rejected", "expired", "cancelled", "not_authorised"]);

/** The console route of a card's API path (``/api/models/{name}/versions/{v}/card?...``). */
export function cardRoute(tenant: string, path: string): string | null {
  const found = /\/models\/([^/]+)\/versions\/(\d+)\/card/.exec(path);
  return found ? href(tenant, "models", decodeURIComponent(found[1]), found[2]) : null;
}

interface TaskPageProps {
  api: Api;
  me: WhoAmI;
  id: string;
  onDecided?: () => void; // the queue beside it reloads
}

export function TaskPage({ api, me, id, onDecided }: TaskPageProps) {
  const task = useLoad(() => api.get<TaskDetail>(tenantPath(api, `tasks/${id}`)), [api, id]);
  const [following, setFollowing] = useState(false);
  const data = task.data;
  // After a decision, follow the task until it ends (the PR link appears then).
  useEffect(() => {
    if (!following || !data || FINAL.has(data.status)) return;
    const timer = setTimeout(task.reload, 1000);
    return () => clearTimeout(timer);
  }, [following, data]);
  if (task.error) return <Problem error={task.error} />;
  if (!data) return <Loading what="the task" />;
  const card = data.model_card && cardRoute(api.tenant, data.model_card);
  return (
    <article aria-labelledby="page-title" class="task">
      <header class="task-head">
        <Heading>
          {data.repository} #{data.source_id}: {data.command}
        </Heading>
        <p class="instruction">{data.instruction}</p>
        <p class="list-meta">
          <Badge kind={data.status}>{data.status.replace("_", " ")}</Badge>
          <span>{data.repository}</span>
          <span>requested by {data.requester}</span>
          <When at={data.created_at} />
          <a href={href(api.tenant, "tasks", data.id, "timeline")}>Timeline</a>
        </p>
        {data.pr_url && (
          <p class="pr" role="status">
            Pull request: <a href={data.pr_url} rel="noreferrer">{data.pr_url}</a>
          </p>
        )}
      </header>
      <div class="columns">
        <div class="main-column">
          <section aria-labelledby="changes">
            <h2 id="changes">Changes</h2>
            {!data.review && <p>No diff was recorded for this task.</p>}
            {data.review?.truncated && <p class="muted">The diff is cut: it is too long to show whole.</p>}
            {data.review?.files.map((file) => (
              <details open key={file.path} class="file">
                <summary>
                  <span class="path">{file.path}</span> <Badge kind="neutral">{file.change}</Badge>{" "}
                  <span class="added-count">+{file.added}</span>{" "}
                  <span class="removed-count">−{file.removed}</span>
                </summary>
                <SideBySide file={file} />
              </details>
            ))}
          </section>
          <section aria-labelledby="check">
            <h2 id="check">Check</h2>
            {data.check ? (
              <>
                <p>
                  <Badge kind={data.check.state}>{data.check.state}</Badge> <code>{data.check.command}</code>
                  {data.check.exit_code !== null && <> exit code {data.check.exit_code}</>}
                  {data.check.timed_out && <> (timed out)</>}
                </p>
                {data.check.detail && <p>{data.check.detail}</p>}
                <pre class="output" tabIndex={0} aria-label="Check output">
                  {data.check.output_tail || "(no output)"}
                </pre>
              </>
            ) : (
              <p>No check ran for this task.</p>
            )}
          </section>
          <Lineage task={data} card={card} />
        </div>
        <aside class="side-column" aria-label="Review">
          <section aria-labelledby="risk">
            <h2 id="risk">Risk</h2>
            {data.risk ? (
              <>
                <p>
                  <Badge kind={data.risk.level}>{data.risk.level}</Badge>
                  {data.risk.approval_required && " approval required"}
                </p>
                <ul>
                  {data.risk.reasons.map((r) => (
                    <li key={r}>{r}</li>
                  ))}
                </ul>
              </>
            ) : (
              <p>Not assessed.</p>
            )}
          </section>
          <Decide api={api} me={me} task={data} onDecided={() => (setFollowing(true), task.reload(), onDecided?.())} />
        </aside>
      </div>
    </article>
  );
}

function Lineage({ task, card }: { task: TaskDetail; card: string | null }) {
  const scalars = Object.entries(task.lineage).filter(([, v]) => v === null || typeof v !== "object");
  const nested = Object.entries(task.lineage).filter(([, v]) => v !== null && typeof v === "object");
  return (
    <section aria-labelledby="lineage">
      <h2 id="lineage">Lineage</h2>
      {card && (
        <p>
          <a href={card}>Model card of the model that answered</a>
        </p>
      )}
      <dl class="facts">
        {scalars.map(([key, value]) => (
          <Fragment key={key}>
            <dt>{key.replaceAll("_", " ")}</dt>
            <dd>{String(value)}</dd>
          </Fragment>
        ))}
      </dl>
      {nested.map(([key, value]) => (
        <details key={key}>
          <summary>{key.replaceAll("_", " ")}</summary>
          <pre class="json" tabIndex={0} aria-label={key}>
            {JSON.stringify(value, null, 2)}
          </pre>
        </details>
      ))}
    </section>
  );
}
