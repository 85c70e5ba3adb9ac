#!/usr/bin/env bash
# The runner container's entrypoint: registers this container as a self-hosted runner of the
# bot repository and runs the Actions listener. On runner-1 (ENABLE_WATCHER=true) it also
# supervises the comment watcher daemon (`sglang-bot watch --daemon`) and the loop that
# dispatches the CI monitor every 30 minutes, restarting either when it dies (with backoff).
# SIGTERM/SIGINT stop every child, then the runner is deregistered; the listener is a child,
# not exec'd, so that happens on a normal stop too.
set -euo pipefail

: "${REPO_URL:?set REPO_URL to the bot repository, e.g. https://github.com/owner/sglang-ci-bot}"
: "${GH_PAT:?set GH_PAT to a token that may register runners on that repository}"
RUNNER_NAME=${RUNNER_NAME:-$(hostname)}
LABELS=${LABELS:-self-hosted,amd-internal}
WORKDIR_CLEANUP=${WORKDIR_CLEANUP:-true}
ENABLE_WATCHER=${ENABLE_WATCHER:-false}
POLL_INTERVAL=${POLL_INTERVAL:-15}
# Seconds between CI monitor dispatches, and before the first one.
DISPATCH_INTERVAL=${DISPATCH_INTERVAL:-1800}
RUNNER_DIR=${RUNNER_DIR:-/home/runner/actions-runner}
GITHUB_API=${GITHUB_API:-https://api.github.com}
SGLANG_BOT=${SGLANG_BOT:-sglang-bot}
# Where runner-1 keeps the bot repository's main branch (its sglang-bot.toml configures the daemon).
BOT_CHECKOUT=${BOT_CHECKOUT:-/tmp/bot}
# A child that ran this long before dying is restarted at once; quicker deaths back off up to
# RESTART_MAX_DELAY seconds.
STABLE_SECS=${STABLE_SECS:-60}
RESTART_MAX_DELAY=${RESTART_MAX_DELAY:-300}

repo_path=${REPO_URL#https://github.com/}
repo_path=${repo_path%/}
# The daemon and the dispatch loop act as the bot account, like the 5-minute cron watcher.
BOT_PAT=${BOT_PAT:-$GH_PAT}
BOT_CLONE_URL=${BOT_CLONE_URL:-https://x-access-token:${BOT_PAT}@github.com/${repo_path}.git}

log() { printf '%s entrypoint: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }

# POSTs to the GitHub API with a token; the answer on stdout.
github_post() {
  local token=$1 path=$2 body=${3:-}
  curl -fsS -X POST \
    -H "Authorization: Bearer $token" \
    -H "Accept: application/vnd.github+json" \
    ${body:+-d "$body"} \
    "$GITHUB_API$path"
}

registration_token() {
  github_post "$GH_PAT" "/repos/$repo_path/actions/runners/registration-token" \
    | sed -n 's/.*"token"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p'
}

# Runs "$@" forever: restarted when it exits, at once after a stable run, else after a delay
# that doubles up to RESTART_MAX_DELAY. TERM stops the child and the loop.
supervise() {
  local name=$1
  shift
  local delay=1 child="" started status
  trap 'if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null || true; wait "$child" 2>/dev/null || true; fi; exit 0' TERM INT
  while true; do
    started=$SECONDS
    "$@" &
    child=$!
    status=0
    wait "$child" || status=$?
    child=""
    if (( SECONDS - started >= STABLE_SECS )); then delay=1; fi
    log "$name exited with status $status; restarting in ${delay}s"
    sleep "$delay" &
    child=$!
    wait "$child" || true
    child=""
    delay=$(( delay * 2 > RESTART_MAX_DELAY ? RESTART_MAX_DELAY : delay * 2 ))
  done
}

# Dispatches the CI monitor every DISPATCH_INTERVAL seconds; a failed dispatch is logged and
# the next one comes on time.
# shellcheck disable=SC2329 # run by supervise
dispatch_loop() {
  while true; do
    sleep "$DISPATCH_INTERVAL"
    if github_post "$BOT_PAT" "/repos/$repo_path/actions/workflows/ci-monitor.yml/dispatches" '{"ref":"main"}' >/dev/null; then
      log "dispatched the CI monitor"
    else
      log "could not dispatch the CI monitor; next try in ${DISPATCH_INTERVAL}s"
    fi
  done
}

# Brings runner-1's checkout of the bot repository to origin/main (its configuration).
sync_checkout() {
  if [ -d "$BOT_CHECKOUT/.git" ]; then
    git -C "$BOT_CHECKOUT" remote set-url origin "$BOT_CLONE_URL"
    git -C "$BOT_CHECKOUT" fetch --prune --quiet origin main
    git -C "$BOT_CHECKOUT" reset --quiet --hard origin/main
    git -C "$BOT_CHECKOUT" clean -fdq
  else
    rm -rf "$BOT_CHECKOUT"
    git clone --quiet --branch main "$BOT_CLONE_URL" "$BOT_CHECKOUT"
  fi
}

# shellcheck disable=SC2329 # run by supervise
watcher() {
  cd "$BOT_CHECKOUT"
  BOT_PAT="$BOT_PAT" exec "$SGLANG_BOT" watch --daemon --poll-interval "$POLL_INTERVAL" --bot-repo "$repo_path"
}

children=()
token=""
stopping=false

# shellcheck disable=SC2329 # run by the traps
shutdown() {
  $stopping && return
  stopping=true
  log "stopping"
  for pid in "${children[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${children[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "$token" ]; then
    (cd "$RUNNER_DIR" && ./config.sh remove --token "$token") || log "could not deregister the runner"
  fi
}
trap 'shutdown; exit 0' TERM INT
trap shutdown EXIT

cd "$RUNNER_DIR"
if [ "$WORKDIR_CLEANUP" = "true" ] && [ -d _work ]; then
  find _work -mindepth 1 -maxdepth 1 -exec rm -rf {} +
fi

token=$(registration_token)
if [ -z "$token" ] || [ "$token" = "null" ]; then
  log "could not get a registration token for $repo_path (does GH_PAT have admin rights on it?)"
  exit 1
fi
./config.sh --url "$REPO_URL" --token "$token" --name "$RUNNER_NAME" --labels "$LABELS" --unattended --replace

if [ "$ENABLE_WATCHER" = "true" ]; then
  sync_checkout
  supervise watcher watcher &
  children+=("$!")
  supervise dispatch-loop dispatch_loop &
  children+=("$!")
fi

./run.sh &
listener=$!
children+=("$listener")
status=0
wait "$listener" || status=$?
log "the runner listener exited with status $status"
exit "$status"
