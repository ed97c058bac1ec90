#!/usr/bin/env bash
# `npm run deploy:local`: the `local` stage of cdk.json into LocalStack with cdklocal.
# Synthesises first (offline, cdk-nag checked), then stops with a clear message when no
# LocalStack answers at AWS_ENDPOINT_URL, before bootstrap or deploy touch anything.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://localhost:4566}"
# cdklocal wants S3 addressed on its own (virtual-hosted) name when AWS_ENDPOINT_URL is set.
export AWS_ENDPOINT_URL_S3="${AWS_ENDPOINT_URL_S3:-http://s3.localhost.localstack.cloud:4566}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
export AWS_REGION="${AWS_REGION:-us-east-1}"
export AWS_DEFAULT_REGION="$AWS_REGION"
export CDK_DEFAULT_ACCOUNT="${CDK_DEFAULT_ACCOUNT:-000000000000}"
export CDK_DEFAULT_REGION="$AWS_REGION"
stage="${ELICENSE_LOCAL_STAGE:-local}"

npx cdklocal synth --quiet -c stage="$stage"

if ! node -e '
  fetch(new URL("/_localstack/health", process.env.AWS_ENDPOINT_URL), { signal: AbortSignal.timeout(3000) })
    .then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1));'; then
  echo "deploy:local: no LocalStack answers at $AWS_ENDPOINT_URL (checked /_localstack/health)." >&2
  echo "Start one first (\`localstack start\`, which needs Docker), or point AWS_ENDPOINT_URL at it." >&2
  echo "The stage '$stage' synthesised; nothing was deployed." >&2
  exit 3
fi

npx cdklocal bootstrap "aws://$CDK_DEFAULT_ACCOUNT/$AWS_REGION" -c stage="$stage"
npx cdklocal deploy --all --require-approval never -c stage="$stage"
