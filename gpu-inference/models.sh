# Sourced by entrypoint.sh and healthcheck.sh: the models this container must serve.

# One model per line: $MODELS (space-separated) if set, else the manifest without comments and
# blank lines; a name without a tag means ":latest", as `ollama list` shows it.
wanted_models() {
  local source
  if [[ -n "${MODELS:-}" ]]; then
    source=$(tr ' ' '\n' <<<"$MODELS")
  else
    source=$(grep -Ev '^[[:space:]]*(#|$)' "${MODELS_MANIFEST:-/etc/ollama/models.txt}")
  fi
  awk 'NF { name = $1; if (name !~ /:/) name = name ":latest"; print name }' <<<"$source"
}

# Models the server at $1 (host:port) has, one per line; fails when it does not answer.
present_models() {
  local listing
  listing=$(OLLAMA_HOST="$1" ollama list) || return 1
  awk 'NR > 1 && NF { print $1 }' <<<"$listing"
}
