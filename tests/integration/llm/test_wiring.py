"""The composition root's hub: with no provider configured it uses the scripted one, flagged."""

from __future__ import annotations

import json

from shared.bootstrap import Container
from shared.config import Settings
from shared.domain.llm import ProviderKind


def test_the_container_hub_falls_back_to_the_flagged_scripted_provider(
    database_url, new_tenant, tmp_path
) -> None:
    (tmp_path / "recordings").mkdir()
    (tmp_path / "recordings" / "demo.yaml").write_text(
        '- template: review\n  text: \'{"verdict": "approve"}\'\n'
    )
    container = Container(Settings(database_url=database_url, data_dir=tmp_path))
    tenant = new_tenant("wired").slug
    try:
        hub = container.llm
        assert [r.provider for r in hub.routes_for(tenant)] == [ProviderKind.SCRIPTED]
        result = hub.complete(
            tenant, "t", "review", {"title": "t", "description": "d", "diff": "", "files": ""}
        )
        assert result.scripted and json.loads(result.completion.text) == {"verdict": "approve"}
        assert container.llm_providers.scripted("demo").recording.digest.startswith("sha256:")
    finally:
        container.db.close()
