// Approve or reject with a comment. Shown only to callers whose roles allow deciding (the API
// refuses everyone else anyway); a task still refuses its own requester, and says why.
import { useState } from "preact/hooks";
import { tenantPath, type Api } from "../../api";
import type { TaskDetail, WhoAmI } from "../../types";
import { Problem, When } from "../../ui";

// Why the API would refuse this caller a decision (decideTask's problem codes), in words.
const REFUSALS: Record<string, string> = {
  "requester-cannot-approve": "you requested this change, so someone else must decide",
  "identity-not-linked": "your account is not linked to an SCM user who may approve here",
};

export function Decide(props: { api: Api; me: WhoAmI; task: TaskDetail; onDecided: () => void }) {
  const { api, me, task, onDecided } = props;
  const [comment, setComment] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const approval = task.approval;
  async function decide(decision: "approve" | "reject") {
    setBusy(true);
    setError(null);
    try {
      await api.send("POST", tenantPath(api, `tasks/${task.id}/approval`), { decision, comment });
      onDecided();
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  }
  return (
    <section aria-labelledby="decision">
      <h2 id="decision">Decision</h2>
      {approval.decisions.map((d) => (
        <p key={d.decided_at}>
          <strong>{d.decision === "approve" ? "Approved" : "Rejected"}</strong> by {d.approver},{" "}
          <When at={d.decided_at} />
          {d.comment && <> — <q>{d.comment}</q></>}
        </p>
      ))}
      {approval.state !== "awaiting" && approval.decisions.length === 0 && (
        <p class="muted">No decision is waiting ({approval.state.replace("-", " ")}).</p>
      )}
      {approval.state === "awaiting" && !me.may.approve && (
        <p class="muted">Your role ({me.roles.join(", ") || "none"}) may read this change, not decide on it.</p>
      )}
      {approval.state === "awaiting" && me.may.approve && !approval.caller_may_decide && (
        <p class="muted">
          You may not decide on this task:{" "}
          {REFUSALS[approval.caller_refusal ?? ""] ?? approval.caller_refusal}.
        </p>
      )}
      {approval.state === "awaiting" && me.may.approve && approval.caller_may_decide && (
        <form onSubmit={(e) => e.preventDefault()}>
          <label for="comment">Comment</label>
          <textarea
            id="comment"
            rows={4}
            maxLength={4000}
            value={comment}
            onInput={(e) => setComment(e.currentTarget.value)}
          />
          <div class="actions">
            <button type="button" class="primary" disabled={busy} onClick={() => decide("approve")}>
              Approve
            </button>
            <button type="button" class="danger" disabled={busy} onClick={() => decide("reject")}>
              Reject
            </button>
          </div>
          {error && <Problem error={error} />}
        </form>
      )}
    </section>
  );
}
