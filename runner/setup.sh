#!/usr/bin/env bash
# Sets up (or upgrades) the fleet of self-hosted runner containers on one host: builds or
# pulls the image, replaces the containers <name>-1..N, and makes <name>-1 the bot's home
# (comment watcher daemon and the 30-minute CI monitor dispatch). Run it again to upgrade.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: runner/setup.sh --pat PAT [options]

  --pat PAT              token that may register runners on the bot repository (required)
  --bot-pat PAT          the bot account's token for runner-1's watcher and dispatches
                         (default: --pat); must be the same account as the GH_PAT secret
  --repo OWNER/NAME      bot repository the runners register to (default: bingxche/sglang-ci-bot)
  --name PREFIX          container and runner name prefix (default: amd-ci-bot-runner)
  --count N              number of containers (default: 10)
  --image IMAGE          pull this image instead of building (falls back to a build)
  --build                build the image even with --image
  --use-agent            give the containers the Claude Code settings (--claude-env, or the
                         gateway key and URL below)
  --claude-env FILE      env file with the ANTHROPIC_* settings for Claude Code
  --llm-gateway-key KEY  gateway key for Claude Code when there is no --claude-env
  --llm-gateway-url URL  gateway URL for Claude Code when there is no --claude-env
  --dry-run              print the docker commands instead of running them
  -h, --help             this help
USAGE
}

die() { printf 'setup.sh: %s\n' "$*" >&2; exit 1; }

GH_PAT="" BOT_PAT="" REPO="bingxche/sglang-ci-bot" RUNNER_NAME="amd-ci-bot-runner" RUNNER_COUNT=10
IMAGE="" FORCE_BUILD=false USE_AGENT=false CLAUDE_ENV_FILE="" LLM_GATEWAY_KEY="" LLM_GATEWAY_URL=""
DRY_RUN=false
LOCAL_TAG="sglang-ci-bot-runner:local"
POLL_INTERVAL=15
MIN_DISK_MB=3000

while [ $# -gt 0 ]; do
  case "$1" in
    --pat) GH_PAT=${2:?--pat needs a value}; shift 2 ;;
    --bot-pat) BOT_PAT=${2:?--bot-pat needs a value}; shift 2 ;;
    --repo) REPO=${2:?--repo needs a value}; shift 2 ;;
    --name) RUNNER_NAME=${2:?--name needs a value}; shift 2 ;;
    --count) RUNNER_COUNT=${2:?--count needs a value}; shift 2 ;;
    --image) IMAGE=${2:?--image needs a value}; shift 2 ;;
    --build) FORCE_BUILD=true; shift ;;
    --use-agent) USE_AGENT=true; shift ;;
    --claude-env) CLAUDE_ENV_FILE=${2:?--claude-env needs a value}; shift 2 ;;
    --llm-gateway-key) LLM_GATEWAY_KEY=${2:?--llm-gateway-key needs a value}; shift 2 ;;
    --llm-gateway-url) LLM_GATEWAY_URL=${2:?--llm-gateway-url needs a value}; shift 2 ;;
    --dry-run) DRY_RUN=true; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done

[ -n "$GH_PAT" ] || { usage >&2; die "--pat is required"; }
[[ "$RUNNER_COUNT" =~ ^[1-9][0-9]*$ ]] || die "--count must be a positive integer, not '$RUNNER_COUNT'"
[[ "$REPO" =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$ ]] || die "--repo must be OWNER/NAME, not '$REPO'"
if [ -n "$CLAUDE_ENV_FILE" ] && [ ! -r "$CLAUDE_ENV_FILE" ]; then
  die "cannot read the --claude-env file $CLAUDE_ENV_FILE"
fi
repo_root=$(cd "$(dirname "$0")/.." && pwd)

run() {
  if $DRY_RUN; then printf '+'; printf ' %q' "$@"; printf '\n'; else "$@"; fi
}

if ! $DRY_RUN; then
  command -v docker >/dev/null || die "docker is not installed (or not on PATH)"
  command -v curl >/dev/null || die "curl is not installed (or not on PATH)"
  docker_root=$(docker info --format '{{.DockerRootDir}}' 2>/dev/null || true)
  if [ -n "$docker_root" ]; then
    free_mb=$(df -Pm "$docker_root" | awk 'NR==2 {print $4}')
    [ "${free_mb:-0}" -ge "$MIN_DISK_MB" ] || die "only ${free_mb} MB free under $docker_root; need $MIN_DISK_MB"
  fi
  status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $GH_PAT" "https://api.github.com/repos/$REPO")
  [ "$status" = "200" ] || die "the --pat token cannot read $REPO (HTTP $status)"
fi

if [ -n "$IMAGE" ] && ! $FORCE_BUILD && run docker pull "$IMAGE"; then
  run docker tag "$IMAGE" "$LOCAL_TAG"
else
  run docker build -f "$repo_root/runner/Dockerfile" -t "$LOCAL_TAG" "$repo_root"
fi

agent_env=()
if $USE_AGENT; then
  agent_env+=(-e USE_AGENT=true)
  if [ -n "$CLAUDE_ENV_FILE" ]; then
    agent_env+=(--env-file "$CLAUDE_ENV_FILE")
  else
    if [ -n "$LLM_GATEWAY_KEY" ]; then
      export ANTHROPIC_CUSTOM_HEADERS="Ocp-Apim-Subscription-Key: $LLM_GATEWAY_KEY"
      agent_env+=(-e ANTHROPIC_CUSTOM_HEADERS)
    fi
    if [ -n "$LLM_GATEWAY_URL" ]; then agent_env+=(-e "ANTHROPIC_BASE_URL=$LLM_GATEWAY_URL"); fi
  fi
else
  agent_env+=(-e USE_AGENT=false)
fi

# Secrets reach the containers by name (-e VAR takes the value from this environment), so
# they never appear in a process listing or in --dry-run output.
export GH_PAT
export BOT_PAT="${BOT_PAT:-$GH_PAT}"
for i in $(seq 1 "$RUNNER_COUNT"); do
  name="$RUNNER_NAME-$i"
  run docker rm -f "$name" >/dev/null 2>&1 || true
  role=()
  if [ "$i" = 1 ]; then
    role=(-e ENABLE_WATCHER=true -e "POLL_INTERVAL=$POLL_INTERVAL" -e BOT_PAT)
  fi
  run docker run -d --name "$name" --restart unless-stopped \
    --log-driver json-file --log-opt max-size=100m --log-opt max-file=10 \
    -v "sglang-runner-toolcache-$i:/home/runner/actions-runner/_tool" \
    -v "sglang-runner-cargo-$i:/home/runner/.cargo" \
    -e "REPO_URL=https://github.com/$REPO" -e GH_PAT -e "RUNNER_NAME=$name" \
    -e LABELS=self-hosted,amd-internal \
    "${agent_env[@]}" "${role[@]}" "$LOCAL_TAG"
done

cat <<SUMMARY
$RUNNER_COUNT runner container(s) on $REPO from $LOCAL_TAG:
  $RUNNER_NAME-1: job runner, comment watcher daemon (polls every ${POLL_INTERVAL}s),
                  CI monitor dispatch every 30 minutes
  $RUNNER_NAME-2..$RUNNER_COUNT: job runners
Upgrade: pull the bot repository and run this script again with the same options.
SUMMARY
