// Parse and bind KQL with Microsoft's Kusto.Language against a table schema, and report errors.
// stdin: {"tables": {"requests": "(timestamp:datetime, ...)", ...}, "queries": {"name": "KQL"}}
// stdout: {"name": ["Error: ...", ...], ...}  (an empty list means the query is sound)
"use strict";
const path = require("path");
const base = path.join(__dirname, "node_modules", "@kusto", "language-service-next");
require(path.join(base, "bridge.min.js"));
require(path.join(base, "Kusto.Language.Bridge.min.js"));

const K = globalThis.Kusto.Language;

function globalsFor(tables) {
  const symbols = Object.entries(tables).map(([name, schema]) =>
    K.Symbols.TableSymbol.From(schema).WithName(name),
  );
  const database = new K.Symbols.DatabaseSymbol.$ctor2("appinsights", null, symbols);
  return K.GlobalState.Default.WithDatabase(database);
}

function diagnostics(query, globals) {
  const found = K.KustoCode.ParseAndAnalyze(query, globals).GetDiagnostics();
  const messages = [];
  for (let i = 0; i < found.Count; i++) {
    const d = found.getItem(i);
    if (d.Severity === "Error") messages.push(`${d.Severity}: ${d.Message} (at ${d.Start})`);
  }
  return messages;
}

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const request = JSON.parse(input);
  const globals = globalsFor(request.tables);
  const report = {};
  for (const [name, query] of Object.entries(request.queries)) {
    report[name] = diagnostics(query, globals);
  }
  process.stdout.write(JSON.stringify(report));
});
