// Every task of the tenant, newest first, filtered by status.
import { useState } from "preact/hooks";
import { tenantPath, type Api } from "../../api";
import { href } from "../../route";
import type { TaskPage } from "../../types";
import { Badge, Heading, Loading, Problem, useLoad, When } from "../../ui";

const STATUSES = ["", "queued", "running", "awaiting_approval", "completed", "failed", "rejected", "expired", "cancelled"];

export function TasksPage({ api }: { api: Api }) {
  const [status, setStatus] = useState("");
  const tasks = useLoad(
    () =>
      api.get<TaskPage>(
        tenantPath(api, "tasks?limit=100" + (status ? `&status=${status}` : "")),
      ),
    [api, status],
  );
  return (
    <section aria-labelledby="page-title">
      <Heading>Tasks</Heading>
      <div class="toolbar">
        <label for="status">Status</label>
        <select id="status" value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s || "any"}
            </option>
          ))}
        </select>
      </div>
      {tasks.error && <Problem error={tasks.error} />}
      {!tasks.data && !tasks.error && <Loading what="tasks" />}
      {tasks.data && (
        <table class="grid">
          <caption class="visually-hidden">Tasks</caption>
          <thead>
            <tr>
              <th scope="col">Task</th>
              <th scope="col">Repository</th>
              <th scope="col">Requester</th>
              <th scope="col">Status</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {tasks.data.items.map((task) => (
              <tr key={task.id}>
                <td>
                  <a href={href(api.tenant, "tasks", task.id)}>
                    #{task.source_id}: {task.command}
                  </a>
                </td>
                <td>{task.repository}</td>
                <td>{task.requester}</td>
                <td>
                  <Badge kind={task.status}>{task.status.replace("_", " ")}</Badge>
                </td>
                <td>
                  <When at={task.created_at} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
