#!/usr/bin/env bash
# Health probe: exit 0 when Ollama answers on this container's port; with --ready, only when
# every wanted model is also present. Used by the image's HEALTHCHECK and by operators
# (`az containerapp exec ... healthcheck.sh --ready`); Container Apps' own probes are HTTP.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
# shellcheck source=models.sh
source "$here/models.sh"

listen=${OLLAMA_HOST:-0.0.0.0:11434}
host="127.0.0.1:${listen##*:}"
if ! present=$(present_models "$host" 2>/dev/null); then
  echo "unhealthy: ollama does not answer on $host"
  exit 1
fi
if [[ "${1:-}" != "--ready" ]]; then
  echo "healthy"
  exit 0
fi
missing=()
while read -r model; do
  grep -qxF -- "$model" <<<"$present" || missing+=("$model")
done < <(wanted_models)
if ((${#missing[@]})); then
  echo "not ready: missing ${missing[*]}"
  exit 1
fi
echo "ready"
