// The admin API's shapes the console reads (shared/api/models.py; /api/openapi.json).
export type Role = "TenantAdmin" | "Approver" | "Auditor" | "Viewer";

export interface WhoAmI {
  tenant: { slug: string; display_name: string };
  user: { preferred_username: string; object_id: string };
  roles: Role[];
  may: { approve: boolean; cancel: boolean; admin_settings: boolean; audit: boolean; usage: boolean };
}

export interface TaskSummary {
  id: string;
  provider: string;
  repository: string;
  source_kind: string;
  source_id: string;
  command: string;
  requester: string;
  status: string;
  step: string | null;
  pr_url: string | null;
  approver: string | null;
  created_at: string;
  updated_at: string;
}

export interface DiffLine {
  kind: "context" | "added" | "removed";
  old_line: number | null;
  new_line: number | null;
  text: string;
}

export interface FileDiff {
  path: string;
  change: "modified" | "added" | "deleted" | "renamed";
  added: number;
  removed: number;
  hunks: { header: string; lines: DiffLine[] }[];
}

export interface Risk {
  level: "low" | "medium" | "high";
  reasons: string[];
  approval_required: boolean;
}

export interface Check {
  state: "passed" | "failed" | "unchecked";
  command: string;
  exit_code: number | null;
  timed_out: boolean;
  reason: string | null;
  detail: string;
  output_tail: string;
}

export interface Decision {
  decision: "approve" | "reject";
  approver: string;
  via: string;
  comment: string;
  decided_at: string;
}

export interface TaskDetail extends TaskSummary {
  instruction: string;
  lineage: Record<string, unknown>;
  llm_calls: { model: string; provider: string; input_tokens: number; output_tokens: number; cost_usd: number }[];
  review: { diff: string; truncated: boolean; files: FileDiff[] } | null;
  risk: Risk | null;
  check: Check | null;
  model_card: string | null;
  approval: {
    state: "not-requested" | "awaiting" | "approved" | "rejected" | "undecided";
    decisions: Decision[];
    caller_may_decide: boolean;
    caller_refusal: string | null;
  };
}

export interface QueueItem {
  task: TaskSummary;
  risk: Risk | null;
}

export interface TimelineEntry {
  at: string;
  kind: string;
  actor: string;
  status: string | null;
  data: Record<string, unknown>;
}

export interface AuditEvent {
  seq: number;
  event_id: string;
  occurred_at: string;
  actor: string;
  kind: string;
  task_id: string | null;
  data: Record<string, unknown>;
  hash: string;
}

export interface UsageDay {
  day: string;
  llm_calls: number;
  tokens: number;
  cost_usd: number;
  tasks_by_outcome: Record<string, number>;
}
