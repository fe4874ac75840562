// Model cards: a registered model's versions (with the global and this tenant's aliases) on the
// left, the selected version's card (what answered, how it was evaluated, where it may be used).
import { Fragment } from "preact";
import { useState } from "preact/hooks";
import { tenantPath, type Api } from "../../api";
import { href } from "../../route";
import type { ModelVersionList } from "../../types";
import { Badge, Heading, Loading, Problem, useLoad, Value } from "../../ui";

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
      <Versions api={api} name={name} current={version} />
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

function Versions({ api, name, current }: { api: Api; name: string; current: string }) {
  const path = tenantPath(api, `models/${encodeURIComponent(name)}/versions`);
  const versions = useLoad(() => api.get<ModelVersionList>(path), [api, name]);
  if (versions.error) return <Problem error={versions.error} />;
  if (!versions.data) return <Loading what="versions" />;
  return (
    <nav aria-label={`Versions of ${name}`}>
      <ul class="chips">
        {versions.data.items.map((v) => (
          <li key={v.version}>
            <a
              href={href(api.tenant, "models", name, v.version)}
              aria-current={String(v.version) === current ? "page" : undefined}
            >
              version {v.version}
            </a>
            {[...v.aliases, ...v.tenant_aliases.map((a) => `${a.alias} (${a.tenant})`)].map((alias) => (
              <Fragment key={alias}>
                {" "}
                <Badge kind="neutral">{alias}</Badge>
              </Fragment>
            ))}
          </li>
        ))}
      </ul>
    </nav>
  );
}
