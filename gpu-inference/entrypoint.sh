#!/usr/bin/env bash
# Serve Ollama with every model of the manifest present and warm.
#
# 1. A loopback-only server pulls the models the cache (the Azure Files volume at
#    $OLLAMA_MODELS) lacks; only the first start of a fresh cache downloads anything. Nothing
#    outside the container can reach it, and the readiness probe on the public port fails, so
#    no request arrives before the models are there.
# 2. The real server then listens on $OLLAMA_HOST; a background job loads each model into GPU
#    memory (an empty generate request) so the first real request does not pay for it.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
# shellcheck source=models.sh
source "$here/models.sh"

listen=${OLLAMA_HOST:-0.0.0.0:11434}
port=${listen##*:}
bootstrap="127.0.0.1:${OLLAMA_BOOTSTRAP_PORT:-11435}"
keep_alive=${OLLAMA_KEEP_ALIVE:-30m}

wait_until_up() {  # host:port
  for _ in $(seq 1 "${OLLAMA_START_TIMEOUT:-120}"); do
    present_models "$1" >/dev/null 2>&1 && return 0
    sleep 1
  done
  echo "entrypoint: ollama did not answer on $1" >&2
  return 1
}

mapfile -t models < <(wanted_models)
echo "entrypoint: models: ${models[*]:-none}"

OLLAMA_HOST=$bootstrap ollama serve &
bootstrap_pid=$!
trap 'kill "$bootstrap_pid" 2>/dev/null || true' EXIT
wait_until_up "$bootstrap"
cached=$(present_models "$bootstrap")
for model in "${models[@]}"; do
  if grep -qxF -- "$model" <<<"$cached"; then
    echo "entrypoint: cached $model"
  else
    echo "entrypoint: pulling $model"
    OLLAMA_HOST=$bootstrap ollama pull "$model"
  fi
done
kill "$bootstrap_pid" 2>/dev/null || true
wait "$bootstrap_pid" 2>/dev/null || true
trap - EXIT

(
  wait_until_up "127.0.0.1:$port"
  for model in "${models[@]}"; do
    if curl -fsS --max-time 600 "http://127.0.0.1:$port/api/generate" \
      -d "{\"model\": \"$model\", \"keep_alive\": \"$keep_alive\"}" >/dev/null; then
      echo "entrypoint: warm $model"
    else
      echo "entrypoint: warm-up of $model failed (it loads on first use)" >&2
    fi
  done
) &

export OLLAMA_HOST=$listen
exec ollama serve
