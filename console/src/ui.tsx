// Small shared pieces: loading state, errors, headings that take focus on navigation.
import { Fragment, type ComponentChildren } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { ApiError } from "./api";

export interface Loaded<T> {
  data: T | null;
  error: Error | null;
  reload: () => void;
}

/** Runs ``load`` now and whenever ``keys`` change; the latest answer wins. */
export function useLoad<T>(load: () => Promise<T>, keys: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: Error | null }>({
    data: null,
    error: null,
  });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let current = true;
    load().then(
      (data) => current && setState({ data, error: null }),
      (error) => current && setState({ data: null, error }),
    );
    return () => {
      current = false;
    };
  }, [...keys, round]);
  const reload = useCallback(() => setRound((r) => r + 1), []);
  return { ...state, reload };
}

export function Problem({ error }: { error: Error }) {
  const code = error instanceof ApiError ? ` (${error.status} ${error.code})` : "";
  return (
    <p class="problem" role="alert">
      {error.message}
      {code}
    </p>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="muted" role="status">
      Loading {what}…
    </p>
  );
}

/** The page's h1; focused when the page opens so screen readers announce it. */
export function Heading({ children }: { children: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <h1 ref={ref} tabIndex={-1}>
      {children}
    </h1>
  );
}

export function Badge({ kind, children }: { kind: string; children: ComponentChildren }) {
  return <span class={`badge badge-${kind}`}>{children}</span>;
}

export function When({ at }: { at: string }) {
  const date = new Date(at);
  return <time dateTime={at}>{date.toISOString().replace("T", " ").slice(0, 19)} UTC</time>;
}

export function Json({ value, label }: { value: unknown; label: string }) {
  return (
    <pre class="json" aria-label={label} tabIndex={0}>
      {JSON.stringify(value, null, 2)}
    </pre>
  );
}

/** A value as people read it: ``null`` as ``empty`` ("none"; settings say "default"), short
 * names joined, sentences as a list, records as a table, objects as nested facts. */
export function Value(props: { value: unknown; label: string; empty?: string }) {
  const { value, label, empty = "none" } = props;
  if (value === null || value === undefined) return <span class="muted">{empty}</span>;
  if (Array.isArray(value)) {
    if (value.length === 0) return <span class="muted">none</span>;
    if (value.every((v) => typeof v !== "object")) {
      if (value.every((v) => String(v).length <= 40)) return <>{value.join(", ")}</>;
      return (
        <ul class="plain">
          {value.map((v, i) => (
            <li key={i}>{String(v)}</li>
          ))}
        </ul>
      );
    }
    const columns = [...new Set(value.flatMap((row) => Object.keys(row as object)))];
    return (
      <div class="scroll" tabIndex={0} role="region" aria-label={label.replaceAll("_", " ")}>
        <table class="grid compact" aria-label={label.replaceAll("_", " ")}>
          <thead>
            <tr>
              {columns.map((c) => (
                <th key={c} scope="col">{c.replaceAll("_", " ")}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {value.map((row, i) => (
              <tr key={i}>
                {columns.map((c) => {
                  const cell = (row as Record<string, unknown>)[c];
                  return <td key={c}>{cell === null || cell === undefined ? "" : String(cell)}</td>;
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    );
  }
  if (typeof value === "object") {
    if (Object.keys(value as object).length === 0) return <span class="muted">none</span>;
    return (
      <dl class="facts">
        {Object.entries(value as Record<string, unknown>).map(([key, v]) => (
          <Fragment key={key}>
            <dt>{key.replaceAll("_", " ")}</dt>
            <dd>
              <Value value={v} label={key} empty={empty} />
            </dd>
          </Fragment>
        ))}
      </dl>
    );
  }
  return <>{String(value)}</>;
}
