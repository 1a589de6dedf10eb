# Where `make run` listens (set them in .env to move them). Each binary gets its own as
# HTTP_ADDR / GRPC_ADDR; the gateway finds the services at AUTH_TARGET and CHAT_TARGET.
GATEWAY_ADDR     ?= 127.0.0.1:8080
AUTH_HTTP_ADDR   ?= 127.0.0.1:8081
CHAT_HTTP_ADDR   ?= 127.0.0.1:8082
AUTH_GRPC_ADDR   ?= 127.0.0.1:9091
CHAT_GRPC_ADDR   ?= 127.0.0.1:9092
# Each service owns its database.
AUTH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/chat_auth?sslmode=disable
CHAT_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/chat_chat?sslmode=disable
KEYS_DIR         ?= keys
MIGRATE          ?= up
# make loadtest: LOADTEST_CLIENTS sockets in a new room, round robin over LOADTEST_GATEWAYS (base
# URLs, comma-separated: name two gateways to measure the fan-out across replicas), sending
# LOADTEST_RATE messages/s in all for LOADTEST_DURATION.
LOADTEST_GATEWAYS ?= http://$(GATEWAY_ADDR)
LOADTEST_CLIENTS  ?= 100
LOADTEST_RATE     ?= 100
LOADTEST_DURATION ?= 10s

JWT_ENV = JWT_PUBLIC_KEY_FILES=$(KEYS_DIR)/jwt-ed25519.pub.pem

.PHONY: keys
keys: $(KEYS_DIR)/jwt-ed25519.pem ## Write a dev Ed25519 key pair for the JWTs into KEYS_DIR, unless there is one (git ignores it)

$(KEYS_DIR)/jwt-ed25519.pem:
	go run ./cmd/auth keys $(KEYS_DIR)

.PHONY: proto
proto: ## Regenerate internal/gen from proto/ (buf and the protoc plugins are go tools in go.mod)
	go tool buf format -w
	go tool buf lint
	go tool buf generate

.PHONY: proto-check
proto-check: ## Fail if the protos are unformatted, unlinted, or internal/gen is not what they generate
	go tool buf format -d --exit-code
	go tool buf lint
	go tool buf generate
	git diff --exit-code -- internal/gen
	@test -z "$$(git status --porcelain -- internal/gen)" || { git status --porcelain -- internal/gen; echo "internal/gen has files buf did not generate"; exit 1; }

.PHONY: db
db: build ## Create the two databases unless they exist (first-time setup; docker compose makes its own)
	DATABASE_URL=$(AUTH_DATABASE_URL) $(BIN_DIR)/auth createdb
	DATABASE_URL=$(CHAT_DATABASE_URL) $(BIN_DIR)/chat createdb

.PHONY: migrate
migrate: build ## Run both services' migrations (MIGRATE=up|down|status, default up)
	DATABASE_URL=$(AUTH_DATABASE_URL) $(BIN_DIR)/auth migrate $(MIGRATE)
	DATABASE_URL=$(CHAT_DATABASE_URL) $(BIN_DIR)/chat migrate $(MIGRATE)

.PHONY: run
run: build $(KEYS_DIR)/jwt-ed25519.pem ## Run auth, chat and the gateway (GATEWAY_ADDR) against PostgreSQL and NATS_URL (make keys first if needed); Ctrl-C stops all three
	@trap 'kill $$auth $$chat $$gateway 2>/dev/null; wait; exit 0' INT TERM HUP; \
	DATABASE_URL=$(AUTH_DATABASE_URL) HTTP_ADDR=$(AUTH_HTTP_ADDR) GRPC_ADDR=$(AUTH_GRPC_ADDR) GRPC_REFLECTION=true \
		JWT_PRIVATE_KEY_FILE=$(KEYS_DIR)/jwt-ed25519.pem $(BIN_DIR)/auth & auth=$$!; \
	DATABASE_URL=$(CHAT_DATABASE_URL) HTTP_ADDR=$(CHAT_HTTP_ADDR) GRPC_ADDR=$(CHAT_GRPC_ADDR) GRPC_REFLECTION=true \
		$(JWT_ENV) $(BIN_DIR)/chat & chat=$$!; \
	HTTP_ADDR=$(GATEWAY_ADDR) AUTH_TARGET=dns:///$(AUTH_GRPC_ADDR) CHAT_TARGET=dns:///$(CHAT_GRPC_ADDR) \
		$(JWT_ENV) $(BIN_DIR)/gateway & gateway=$$!; \
	wait

.PHONY: run-gateway
run-gateway: build $(KEYS_DIR)/jwt-ed25519.pem ## Run one more gateway beside make run's, on GATEWAY_ADDR (make run-gateway GATEWAY_ADDR=127.0.0.1:8090)
	HTTP_ADDR=$(GATEWAY_ADDR) AUTH_TARGET=dns:///$(AUTH_GRPC_ADDR) CHAT_TARGET=dns:///$(CHAT_GRPC_ADDR) \
		$(JWT_ENV) $(BIN_DIR)/gateway

# Kubernetes: deploy/k8s (kustomize) and deploy/helm/chart, checked offline with kustomize and helm
# at the versions the k8s workflow installs. make k8s-tools puts them in Go's bin directory, which
# k8s-check prefers to whatever else is on the PATH.
KUSTOMIZE_VERSION := v5.8.2
HELM_VERSION      := v4.3.1
K8S_GOBIN = $(shell command -v go >/dev/null 2>&1 && { gobin="$$(go env GOBIN)"; echo "$${gobin:-$$(go env GOPATH)/bin}"; })
KUSTOMIZE ?= $(or $(wildcard $(K8S_GOBIN)/kustomize),$(shell command -v kustomize 2>/dev/null),kustomize)
HELM      ?= $(or $(wildcard $(K8S_GOBIN)/helm),$(shell command -v helm 2>/dev/null),helm)

.PHONY: k8s-tools
k8s-tools: ## Install kustomize and helm at the pinned versions (go install, into Go's bin directory)
	go install sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION)
	go install helm.sh/helm/v4/cmd/helm@$(HELM_VERSION)

.PHONY: k8s-check
k8s-check: ## Build the kustomize base and every overlay, helm lint --strict and helm template the chart
	@for tool in "$(KUSTOMIZE) $(KUSTOMIZE_VERSION)" "$(HELM) $(HELM_VERSION)"; do \
		set -- $$tool; \
		command -v "$$1" >/dev/null 2>&1 || { echo "$$1 not found; make k8s-tools installs the pinned kustomize and helm"; exit 1; }; \
		have="$$(go version -m "$$(command -v "$$1")" 2>/dev/null | awk '$$1 == "mod" {print $$3}')"; \
		[ "$$have" = "$$2" ] || echo "warning: $$1 is $${have:-of unknown version}, CI uses $$2 (make k8s-tools)"; \
	done
	@for dir in deploy/k8s/base deploy/k8s/overlays/*/; do \
		echo "$(KUSTOMIZE) build $${dir%/}"; \
		$(KUSTOMIZE) build "$${dir%/}" >/dev/null || exit 1; \
	done
	$(HELM) lint --strict deploy/helm/chart
	$(HELM) template deploy/helm/chart >/dev/null

.PHONY: loadtest
loadtest: build ## Load the running gateways (LOADTEST_GATEWAYS) over WebSockets; report delivered msgs/s and p50/p99 latency
	$(BIN_DIR)/loadtest -gateways $(LOADTEST_GATEWAYS) -clients $(LOADTEST_CLIENTS) -rate $(LOADTEST_RATE) -duration $(LOADTEST_DURATION)
