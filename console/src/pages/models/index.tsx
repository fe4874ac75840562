// A model card (registry version): what answered, how it was evaluated, where it may be used.
import { Fragment } from "preact";
import { useState } from "preact/hooks";
import type { Api } from "../../api";
import { href } from "../../route";
import { Heading, Loading, Problem, useLoad, Value } from "../../ui";

type Card = Record<string, unknown> & { name: string; version: number };

export function ModelsPage({ api, args }: { api: Api; args: string[] }) {
  const [name = "patch-generator", version = "1"] = args;
  const [draft, setDraft] = useState({ name, version });
  const card = useLoad(
    () =>
      api.get<Card>(
        `models/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}/card?tenant=${encodeURIComponent(api.tenant)}`,
      ),
    [api, name, version],
  );
  return (
    <section aria-labelledby="page-title">
      <Heading>Model card</Heading>
      <form
        class="toolbar"
        aria-label="Open a model card"
        onSubmit={(e) => (e.preventDefault(), (location.hash = href(api.tenant, "models", draft.name, draft.version)))}
      >
        <label for="model-name">Model</label>
        <input id="model-name" value={draft.name} onInput={(e) => setDraft({ ...draft, name: e.currentTarget.value })} />
        <label for="model-version">Version</label>
        <input id="model-version" inputMode="numeric" value={draft.version}
          onInput={(e) => setDraft({ ...draft, version: e.currentTarget.value })} />
        <button type="submit">Open</button>
      </form>
      {card.error && <Problem error={card.error} />}
      {!card.data && !card.error && <Loading what="the model card" />}
      {card.data && (
        <>
          <h2>
            {card.data.name} version {card.data.version}
          </h2>
          <dl class="facts">
            {Object.entries(card.data)
              .filter(([k]) => k !== "name" && k !== "version")
              .map(([key, value]) => (
                <Fragment key={key}>
                  <dt>{key.replaceAll("_", " ")}</dt>
                  <dd>
                    <Value value={value} label={key} />
                  </dd>
                </Fragment>
              ))}
          </dl>
        </>
      )}
    </section>
  );
}
