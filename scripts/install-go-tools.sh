#!/usr/bin/env bash
# Installs the Go tools the tests check generated repositories with, at the versions pinned
# once: golangci-lint in the project specs (tools.golangciLint, all the same); actionlint,
# kustomize and helm in package.json (config.goTools; kustomize and helm render the chat
# project's Kubernetes manifests). `go install` from the module proxy; no binary downloads.
# --if-go: do nothing (and say so) when Go is not installed, so `npm test` still runs the rest.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v go >/dev/null 2>&1; then
  if [ "${1:-}" = "--if-go" ]; then
    echo "== Go is not installed: the Go tools are not installed, and the tests that need them will say so"
    exit 0
  fi
  echo "install Go first: https://go.dev/dl/" >&2
  exit 1
fi

gobin="$(go env GOPATH)/bin"
install_tool() { # name module version
  if [ -x "$gobin/$1" ] && go version -m "$gobin/$1" | grep -q "mod[[:space:]].*[[:space:]]$3[[:space:]]"; then
    echo "== $1 $3 already installed in $gobin"
  else
    echo "== installing $1 $3 into $gobin"
    GOFLAGS= go install "$2@$3"
  fi
}
[ -f dist/scripts/toolVersions.js ] || npm run --silent build
install_tool golangci-lint github.com/golangci/golangci-lint/v2/cmd/golangci-lint "$(node dist/scripts/toolVersions.js golangciLint)"
install_tool actionlint github.com/rhysd/actionlint/cmd/actionlint "$(node -p 'require("./package.json").config.goTools.actionlint')"
go_tool_pin() { node -p "require('./package.json').config.goTools.$1"; }
install_tool kustomize sigs.k8s.io/kustomize/kustomize/v5 "$(go_tool_pin kustomize)"
install_tool helm helm.sh/helm/v4/cmd/helm "$(go_tool_pin helm)"
