// LLM usage and cost per day for this tenant: charts, then the same numbers as a table.
import { useState } from "preact/hooks";
import { tenantPath, type Api } from "../../api";
import type { UsageDay, UsageReport } from "../../types";
import { Heading, Loading, Problem, useLoad } from "../../ui";
import { BarChart } from "./chart";

const usd = (v: number) => `$${v.toFixed(v < 1 ? 4 : 2)}`;
const count = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(1)}k` : String(Math.round(v)));

/** Every day from ``since`` to today, with zeros where nothing was used (the API lists only
 * days with usage), so the charts' time axis has no gaps. */
export function everyDay(since: string, days: UsageDay[]): UsageDay[] {
  const known = new Map(days.map((d) => [d.day, d]));
  const filled: UsageDay[] = [];
  const today = new Date().toISOString().slice(0, 10);
  for (let d = new Date(`${since}T00:00:00Z`); ; d = new Date(d.getTime() + 86400_000)) {
    const day = d.toISOString().slice(0, 10);
    const none = { llm_calls: 0, input_tokens: 0, output_tokens: 0, tokens: 0, cost_usd: 0 };
    const empty = { ...none, day, tasks_by_outcome: {}, lead_time_s_avg: null, models: [] };
    filled.push(known.get(day) ?? empty);
    if (day >= today) break;
  }
  return filled;
}

export function UsagePage({ api }: { api: Api }) {
  const [days, setDays] = useState(14);
  const since = new Date(Date.now() - (days - 1) * 86400_000).toISOString().slice(0, 10);
  const usage = useLoad(
    () => api.get<UsageReport>(tenantPath(api, `usage?since=${since}T00:00:00Z`)),
    [api, since],
  );
  return (
    <section aria-labelledby="page-title">
      <Heading>Usage and cost</Heading>
      <div class="toolbar">
        <label for="days">Period</label>
        <select id="days" value={days} onChange={(e) => setDays(Number(e.currentTarget.value))}>
          <option value={7}>last 7 days</option>
          <option value={14}>last 14 days</option>
          <option value={30}>last 30 days</option>
        </select>
      </div>
      {usage.error && <Problem error={usage.error} />}
      {!usage.data && !usage.error && <Loading what="usage" />}
      {usage.data && (
        <>
          <p>
            Total: <strong>{usd(usage.data.totals.cost_usd)}</strong> for{" "}
            {usage.data.totals.tokens} tokens in {usage.data.totals.llm_calls} LLM calls.
          </p>
          <div class="charts">
            <BarChart id="cost" title={`Cost per day (USD), tenant ${api.tenant}`} format={usd}
              bars={everyDay(since, usage.data.days).map((d) => ({ label: d.day, value: d.cost_usd }))} />
            <BarChart id="tokens" title={`Tokens per day, tenant ${api.tenant}`} format={count}
              bars={everyDay(since, usage.data.days).map((d) => ({ label: d.day, value: d.tokens }))} />
          </div>
          {usage.data.totals.models.length > 0 && (
            <table class="grid">
              <caption>By model, whole period</caption>
              <thead>
                <tr>
                  <th scope="col">Provider</th>
                  <th scope="col">Model</th>
                  <th scope="col">LLM calls</th>
                  <th scope="col">Tokens</th>
                  <th scope="col">Cost</th>
                </tr>
              </thead>
              <tbody>
                {usage.data.totals.models.map((m) => (
                  <tr key={`${m.provider}/${m.model}`}>
                    <td>{m.provider}</td>
                    <th scope="row">{m.model}</th>
                    <td>{m.llm_calls}</td>
                    <td>{m.tokens}</td>
                    <td>{usd(m.cost_usd)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <table class="grid">
            <caption>Usage per day</caption>
            <thead>
              <tr>
                <th scope="col">Day</th>
                <th scope="col">LLM calls</th>
                <th scope="col">Tokens</th>
                <th scope="col">Cost</th>
                <th scope="col">Tasks by outcome</th>
              </tr>
            </thead>
            <tbody>
              {usage.data.days.map((d) => (
                <tr key={d.day}>
                  <th scope="row">{d.day}</th>
                  <td>{d.llm_calls}</td>
                  <td>{d.tokens}</td>
                  <td>{usd(d.cost_usd)}</td>
                  <td>{Object.entries(d.tasks_by_outcome).map(([k, v]) => `${k}: ${v}`).join(", ")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
