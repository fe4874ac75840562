// A side-by-side diff, GitHub style: old on the left, new on the right, removed and added
// lines of a change paired row by row.
import type { DiffLine, FileDiff } from "../../types";

interface Row {
  left: DiffLine | null;
  right: DiffLine | null;
}

/** Context lines fill both sides; a run of removals is paired with the additions after it. */
export function pairLines(lines: DiffLine[]): Row[] {
  const rows: Row[] = [];
  let removed: DiffLine[] = [];
  let added: DiffLine[] = [];
  const flush = () => {
    for (let i = 0; i < Math.max(removed.length, added.length); i++) {
      rows.push({ left: removed[i] ?? null, right: added[i] ?? null });
    }
    removed = [];
    added = [];
  };
  for (const line of lines) {
    if (line.kind === "removed") {
      if (added.length) flush();
      removed.push(line);
    } else if (line.kind === "added") {
      added.push(line);
    } else {
      flush();
      rows.push({ left: line, right: line });
    }
  }
  flush();
  return rows;
}

function Side({ line, side }: { line: DiffLine | null; side: "old" | "new" }) {
  if (!line) return <><td class="num empty" /><td class="code empty" /></>;
  const number = side === "old" ? line.old_line : line.new_line;
  const mark = line.kind === "added" ? "+" : line.kind === "removed" ? "−" : " ";
  const label = line.kind === "context" ? undefined : line.kind === "added" ? "added" : "removed";
  return (
    <>
      <td class={`num ${line.kind}`}>{number}</td>
      <td class={`code ${line.kind}`} aria-label={label && `${label}: ${line.text}`}>
        <span aria-hidden="true" class="mark">{mark}</span>
        {line.text}
      </td>
    </>
  );
}

export function SideBySide({ file }: { file: FileDiff }) {
  return (
    <table class="diff" aria-label={`Changes to ${file.path}`}>
      <colgroup>
        <col class="num-col" />
        <col class="code-col" />
        <col class="num-col" />
        <col class="code-col" />
      </colgroup>
      <thead>
        <tr>
          <th scope="col" colSpan={2}>Before</th>
          <th scope="col" colSpan={2}>After</th>
        </tr>
      </thead>
      {file.hunks.map((hunk, h) => (
        <tbody key={h}>
          <tr class="hunk">
            <th scope="rowgroup" colSpan={4}>{hunk.header}</th>
          </tr>
          {pairLines(hunk.lines).map((row, i) => (
            <tr key={i}>
              <Side line={row.left} side="old" />
              <Side line={row.right} side="new" />
            </tr>
          ))}
        </tbody>
      ))}
    </table>
  );
}
