#!/usr/bin/env bash
# Runs `azroute audit` or `azroute diff` for a CI system: the GitHub Action (action.yml) and the
# Azure DevOps template (pipelines/azure-devops.yml) both call it, so that both build the same
# command line from the same inputs. Inputs are AZROUTE_CI_* variables (empty: not given):
#   COMMAND        audit | diff
#   SNAPSHOT       audit: the snapshot, or where a collected one is kept; diff: BEFORE
#   SUBSCRIPTIONS  audit: collect first: ids separated by spaces or commas, or `all`
#   AFTER, TERRAFORM_PLAN, WHAT_IF, OVERLAY   diff: the change (exactly one)
#   FORMAT, OUTPUT another format and its file
#   FAIL_ON, CONFIG (audit: laid over the discovered file; diff: the only one read, the base
#   branch's), BASELINE (ignored when the file is missing), WRITE_BASELINE, SARIF, SARIF_ROOT, JUNIT
#   ARGS           more arguments, split on spaces
#   SUMMARY        where the Markdown summary is written
# It exits with azroute's exit code (0 clean, 1 findings or a regression, 2 bad input, 3 coverage
# gaps, 4 sign-in failed); the caller decides which fail the job.
set +e -uo pipefail # never -e: azroute's exit code is the result, read to the end

command="${AZROUTE_CI_COMMAND:-audit}"
snapshot="${AZROUTE_CI_SNAPSHOT:-}"
summary="${AZROUTE_CI_SUMMARY:?AZROUTE_CI_SUMMARY: where the Markdown summary goes}"
read -r -a extra <<< "${AZROUTE_CI_ARGS:-}"
args=()
[ -n "${AZROUTE_CI_FAIL_ON:-}" ] && args+=(--fail-on "$AZROUTE_CI_FAIL_ON")
if [ -z "$snapshot" ]; then
  echo "azroute: error: no snapshot given" >&2
  exit 2
fi

case "$command" in
  audit)
    subscriptions="${AZROUTE_CI_SUBSCRIPTIONS:-}"
    if [ -n "$subscriptions" ]; then
      if [ "$subscriptions" = all ]; then
        args+=(--all-subscriptions)
      else
        for id in ${subscriptions//,/ }; do args+=(--subscription "$id"); done
      fi
      args+=(--out "$snapshot")
    else
      args+=("$snapshot")
    fi
    [ -n "${AZROUTE_CI_CONFIG:-}" ] && args+=(--config "$AZROUTE_CI_CONFIG")
    if [ -n "${AZROUTE_CI_BASELINE:-}" ]; then
      if [ -f "$AZROUTE_CI_BASELINE" ]; then
        args+=(--baseline "$AZROUTE_CI_BASELINE")
      else
        echo "azroute: no baseline at $AZROUTE_CI_BASELINE (a first run): every finding counts" >&2
      fi
    fi
    [ -n "${AZROUTE_CI_WRITE_BASELINE:-}" ] && args+=(--write-baseline "$AZROUTE_CI_WRITE_BASELINE")
    [ -n "${AZROUTE_CI_SARIF:-}" ] && args+=(--output "sarif=$AZROUTE_CI_SARIF")
    [ -n "${AZROUTE_CI_SARIF_ROOT:-}" ] && args+=(--sarif-root "$AZROUTE_CI_SARIF_ROOT")
    [ -n "${AZROUTE_CI_JUNIT:-}" ] && args+=(--output "junit=$AZROUTE_CI_JUNIT")
    if [ -n "${AZROUTE_CI_FORMAT:-}" ]; then
      args+=(--output "$AZROUTE_CI_FORMAT=${AZROUTE_CI_OUTPUT:-azroute.$AZROUTE_CI_FORMAT}")
    fi
    for file in "${AZROUTE_CI_SARIF:-}" "${AZROUTE_CI_JUNIT:-}" "${AZROUTE_CI_OUTPUT:-}" "$summary"; do
      [ -n "$file" ] && mkdir -p "$(dirname "$file")"
    done
    azroute audit "${args[@]}" "${extra[@]}" --output "markdown=$summary"
    exit $?
    ;;
  diff)
    args+=("$snapshot")
    # diff: the given file only (the base branch's), so a change cannot relax its own check
    [ -n "${AZROUTE_CI_CONFIG:-}" ] && args+=(--no-config --config "$AZROUTE_CI_CONFIG")
    [ -n "${AZROUTE_CI_AFTER:-}" ] && args+=("$AZROUTE_CI_AFTER")
    [ -n "${AZROUTE_CI_TERRAFORM_PLAN:-}" ] && args+=(--terraform-plan "$AZROUTE_CI_TERRAFORM_PLAN")
    [ -n "${AZROUTE_CI_WHAT_IF:-}" ] && args+=(--what-if "$AZROUTE_CI_WHAT_IF")
    [ -n "${AZROUTE_CI_OVERLAY:-}" ] && args+=(--overlay "$AZROUTE_CI_OVERLAY")
    mkdir -p "$(dirname "$summary")"
    azroute diff "${args[@]}" "${extra[@]}" --format markdown > "$summary"
    code=$?
    format="${AZROUTE_CI_FORMAT:-}"
    if [ "$format" = markdown ]; then
      cp "$summary" "${AZROUTE_CI_OUTPUT:-azroute-diff.md}"
    elif [ -n "$format" ] && [ "$code" -ne 2 ]; then # diff writes one format per run: run it again
      azroute diff "${args[@]}" "${extra[@]}" --format "$format" > "${AZROUTE_CI_OUTPUT:-azroute-diff.$format}"
    fi
    exit "$code"
    ;;
  *)
    echo "azroute: error: the command is audit or diff, not '$command'" >&2
    exit 2
    ;;
esac
