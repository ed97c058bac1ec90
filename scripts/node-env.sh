# Sourced by scripts/with-node.sh and .ci/run: make `node` on PATH a Node 22+.
# The machines this project is built on carry Node 20 (end of life); when the node on PATH
# is older than 22, provision Node from the npm registry's `node` package (it ships the real
# binaries) into an ignored project-local folder, once, and put it first on PATH.
ELICENSE_NODE_VERSION=24.21.0
_elicense_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_elicense_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(_elicense_node_major)" -lt 22 ]; then
  _elicense_tools="$_elicense_root/.tools/node"
  if [ ! -x "$_elicense_tools/node_modules/.bin/node" ]; then
    command -v npm >/dev/null || { echo "elicense: Node 22+ is required and npm is missing to provision it" >&2; return 1 2>/dev/null || exit 1; }
    echo "elicense: node $(node --version 2>/dev/null || echo none) is too old; provisioning Node $ELICENSE_NODE_VERSION into .tools/node" >&2
    mkdir -p "$_elicense_tools"
    npm install --prefix "$_elicense_tools" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "node@$ELICENSE_NODE_VERSION" >&2 \
      || { echo "elicense: could not install node@$ELICENSE_NODE_VERSION from the npm registry" >&2; return 1 2>/dev/null || exit 1; }
  fi
  export PATH="$_elicense_tools/node_modules/.bin:$PATH"
fi
unset -f _elicense_node_major
