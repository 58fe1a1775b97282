#!/usr/bin/env bash
# Deploys one overlay in order: pin each service's image to a digest, run the migration Jobs to
# completion, then roll out the Deployments, so no pod of the new version starts before its
# schema exists, nor before the queues of the services that consume its events (each consumer's
# Job declares them; product's and order's Jobs each bind the events the other publishes).
# Called by .github/workflows/deploy.yml; needs kubectl (KUBECONFIG set) and kustomize. Edits the
# overlay's kustomization.yaml in place (a CI checkout: nothing to keep).
# usage: deploy/k8s/rollout.sh OVERLAY_DIR SERVICE=IMAGE@sha256:DIGEST...
set -euo pipefail

if (($# < 2)); then
  echo "usage: $0 OVERLAY_DIR SERVICE=IMAGE@sha256:DIGEST..." >&2
  exit 2
fi
overlay=$1
shift

for pin in "$@"; do
  service=${pin%%=*}
  image=${pin#*=}
  if [[ $image != *@sha256:* ]]; then
    echo "$pin: not pinned to a digest" >&2
    exit 2
  fi
  (cd "$overlay" && kustomize edit set image "shopper/${service}=${image}")
done

manifests=$(mktemp)
trap 'rm -f "$manifests"' EXIT
kustomize build "$overlay" >"$manifests"
# Every image must now be a digest: a service missing from the arguments would otherwise go out
# under its overlay's tag.
if grep -E '^ +image: ' "$manifests" | grep -v '@sha256:'; then
  echo "the images above are not pinned to a digest" >&2
  exit 2
fi
namespace=$(sed -n 's/^namespace: *//p' "$overlay/kustomization.yaml")
migration=app.kubernetes.io/component=migration

echo "== ${namespace}: migrations"
# A Job's pod template is immutable: the previous deploy's Jobs go first.
kubectl --namespace "$namespace" delete job --selector "$migration" --ignore-not-found
# Everything but the Deployments (labelled component=server, as are their Services, autoscalers
# and disruption budgets): the namespace, the ConfigMaps the Jobs read, the Jobs.
kubectl apply --filename "$manifests" --selector 'app.kubernetes.io/component!=server'
# A Job gives up after activeDeadlineSeconds (300), so this fails rather than hangs.
if ! kubectl --namespace "$namespace" wait job --selector "$migration" \
  --for=condition=complete --timeout=330s; then
  kubectl --namespace "$namespace" logs --selector "$migration" --all-containers --tail=100 || true
  exit 1
fi

echo "== ${namespace}: services"
# The old pods keep serving during the rolling update, on the new schema: migrations must stay
# backward compatible (add now, remove in a later release).
kubectl apply --filename "$manifests"
kubectl --namespace "$namespace" get deployment --selector app.kubernetes.io/part-of=shopper \
  --output name |
  while read -r deployment; do
    kubectl --namespace "$namespace" rollout status "$deployment" --timeout=10m || exit 1
  done
