#!/usr/bin/env bash
# Checks a deployed auth service through its public URL: it answers ready and, with --register,
# a new account registers and logs in. Called by .github/workflows/deploy.yml after a rollout.
# usage: deploy/k8s/smoke-test.sh AUTH_BASE_URL [--register]
set -euo pipefail

base=${1:?usage: $0 AUTH_BASE_URL [--register]}
base=${base%/}

# The rollout is complete, but a load balancer may take a few seconds to reach the new pods;
# curl retries 503 and connection errors.
curl -fsS --max-time 10 --retry 10 --retry-delay 3 --retry-all-errors "$base/health/ready"
echo

if [[ ${2:-} == --register ]]; then
  email="smoke-${GITHUB_RUN_ID:-local}-$(date +%s)@example.com"
  password=$(head -c 24 /dev/urandom | base64)
  credentials=$(jq -n --arg email "$email" --arg password "$password" \
    '{email: $email, password: $password}')
  curl -fsS --max-time 10 -H 'content-type: application/json' \
    -d "$(jq '. + {name: "Smoke Test"}' <<<"$credentials")" "$base/auth/register" >/dev/null
  curl -fsS --max-time 10 -H 'content-type: application/json' \
    -d "$credentials" "$base/auth/login" |
    jq -e '.access_token | length > 0' >/dev/null
  echo "registered and logged in as ${email}"
fi
