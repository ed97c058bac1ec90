#!/usr/bin/env bash
# `npm run lint:templates`: checks the CloudFormation templates of the last `npm run synth`
# (the stacks cdk.out/manifest.json names, not stale ones of other stages) with cfn-lint, AWS's
# linter of templates against CloudFormation's resource schemas and service rules: what would
# fail or misbehave on `cdk deploy` that neither the CDK's types nor cdk-nag see (a property
# value a service refuses, an ACL where S3 disables them). cfn-lint is a Python tool; it is
# installed pinned into .tools/cfn-lint-venv on first use, like moto for the tests.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

CFN_LINT_REQUIREMENT='cfn-lint==1.58.0'
python="${ELICENSE_PYTHON:-python3}"
venv=.tools/cfn-lint-venv

if [[ ! -f cdk.out/manifest.json ]]; then
  echo "lint:templates: no cdk.out/manifest.json; run \`npm run synth\` first." >&2
  exit 2
fi
if [[ ! -x "$venv/bin/cfn-lint" ]] || ! "$venv/bin/python" -m pip show --quiet cfn-lint 2>/dev/null \
  || [[ "$("$venv/bin/cfn-lint" --version)" != "cfn-lint ${CFN_LINT_REQUIREMENT#cfn-lint==}" ]]; then
  if ! command -v "$python" >/dev/null; then
    echo "lint:templates: needs Python 3.9+ with venv and pip (\`$python\` not found; name another in ELICENSE_PYTHON)." >&2
    exit 2
  fi
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --disable-pip-version-check --no-input --quiet "$CFN_LINT_REQUIREMENT"
fi

# Each template with its stack's region (aws://account/region), so cfn-lint checks what that
# region offers (cn-north-1 lacks resource types and runtimes us-east-1 has).
mapfile -t stacks < <("$venv/bin/python" -c '
import json
manifest = json.load(open("cdk.out/manifest.json"))
for artifact in manifest["artifacts"].values():
    if artifact["type"] == "aws:cloudformation:stack":
        region = artifact.get("environment", "").rsplit("/", 1)[-1]  # unknown-region: env-agnostic
        print(("us-east-1" if region in ("", "unknown-region") else region), "cdk.out/" + artifact["properties"]["templateFile"])
')
if [[ ${#stacks[@]} -eq 0 ]]; then
  echo "lint:templates: cdk.out/manifest.json names no stack template." >&2
  exit 2
fi

# W3005 ("dependency already enforced by a GetAtt"): the CDK lists each function's role in its
# DependsOn beside the role's policy, and the function's GetAtt of the role already orders it:
# redundant and harmless. Every other finding, warnings included, fails.
for stack in "${stacks[@]}"; do
  region="${stack%% *}"
  template="${stack#* }"
  "$venv/bin/cfn-lint" --ignore-checks W3005 --regions "$region" -- "$template"
  echo "lint:templates: $template clean for $region"
done
