# Where `make run` listens (set them in .env to move them): each binary gets its own as HTTP_ADDR,
# and its pprof listener as ADMIN_ADDR, on loopback.
API_ADDR          ?= 127.0.0.1:8080
WORKER_ADDR       ?= 127.0.0.1:8081
API_ADMIN_ADDR    ?= 127.0.0.1:6060
WORKER_ADMIN_ADDR ?= 127.0.0.1:6061
MIGRATE           ?= up
MIGRATIONS_DIR    := internal/migrations/sql
# The code go generate writes: Ent's from ent/schema, oapi-codegen's from api/openapi.yaml.
GENERATED         := ent internal/httpapi/gen
# make loadtest: LOADTEST_CLIENTS customers placing orders for LOADTEST_DURATION against API_URL,
# with products an admin (LOADTEST_ADMIN_EMAIL, LOADTEST_ADMIN_PASSWORD) creates.
API_URL           ?= http://$(API_ADDR)
LOADTEST_CLIENTS  ?= 16
LOADTEST_PRODUCTS ?= 20
LOADTEST_DURATION ?= 10s
# In the load test's environment whether they come from .env or the command line; never in argv.
export LOADTEST_ADMIN_EMAIL LOADTEST_ADMIN_PASSWORD

.PHONY: db
db: build ## Create DATABASE_URL's database unless it exists, and apply the migrations (first-time setup; compose makes its own)
	$(BIN_DIR)/api createdb
	$(BIN_DIR)/api migrate up

.PHONY: migrate
migrate: build ## Run the migrations against DATABASE_URL (MIGRATE=up|down|status, default up)
	$(BIN_DIR)/api migrate $(MIGRATE)

# make run and make run-api apply the pending migrations first, to the database of this machine:
# the binaries never migrate by themselves (docs/adr/0004-migrations.md).
.PHONY: run
run: build ## Apply pending migrations, then run the api (API_ADDR) and the worker (WORKER_ADDR) against DATABASE_URL and AMQP_URL; Ctrl-C stops both
	$(BIN_DIR)/api migrate up
	@trap 'kill $$api $$worker 2>/dev/null; wait; exit 0' INT TERM HUP; \
	HTTP_ADDR=$(API_ADDR) ADMIN_ADDR=$(API_ADMIN_ADDR) $(BIN_DIR)/api & api=$$!; \
	HTTP_ADDR=$(WORKER_ADDR) ADMIN_ADDR=$(WORKER_ADMIN_ADDR) $(BIN_DIR)/worker & worker=$$!; \
	wait

.PHONY: run-api
run-api: build ## Apply pending migrations, then run only the api, on API_ADDR
	$(BIN_DIR)/api migrate up
	HTTP_ADDR=$(API_ADDR) ADMIN_ADDR=$(API_ADMIN_ADDR) $(BIN_DIR)/api

.PHONY: run-worker
run-worker: build ## Run only the worker (outbox relay and consumers), probes and metrics on WORKER_ADDR
	HTTP_ADDR=$(WORKER_ADDR) ADMIN_ADDR=$(WORKER_ADMIN_ADDR) $(BIN_DIR)/worker

.PHONY: promote
promote: build ## Make the account of EMAIL an admin (make promote EMAIL=you@example.com); it takes effect at its next login
	@test -n "$(EMAIL)" || { echo "usage: make promote EMAIL=you@example.com"; exit 1; }
	$(BIN_DIR)/api promote "$(EMAIL)"

.PHONY: generate
generate: ## Regenerate ent/ from ent/schema and internal/httpapi/gen from api/openapi.yaml (the generators are go tools in go.mod)
	go generate ./...

.PHONY: generate-check
generate-check: ## Fail if ent/ or internal/httpapi/gen is not what go generate makes of ent/schema and api/openapi.yaml
	go generate ./...
	git diff --exit-code -- $(GENERATED)
	@test -z "$$(git status --porcelain -- $(GENERATED))" || { git status --porcelain -- $(GENERATED); echo "$(GENERATED): files go generate made or removed that git does not have; commit them"; exit 1; }

.PHONY: migration-check
migration-check: ## Apply the migrations to DATABASE_URL's database, then fail if Ent's schema diff against it is not empty
	go run ./cmd/api migrate up
	@diff="$$(go run ./cmd/api migrate diff)" || exit 1; \
	if [ -n "$$diff" ]; then \
		printf '%s\n' "$$diff"; \
		echo "ent/schema and $(MIGRATIONS_DIR) disagree: the statements above are missing from the migrations (make migration NAME=...)"; \
		exit 1; \
	fi; \
	echo "the migrations give the schema ent/schema describes"

.PHONY: migration
migration: ## Write the next migration in internal/migrations/sql from Ent's schema diff against DATABASE_URL, migrated first (make migration NAME=add_weight)
	@echo "$(NAME)" | grep -Eq '^[a-z][a-z0-9_]*$$' || { echo "usage: make migration NAME=add_weight (lowercase letters, digits and _)"; exit 1; }
	go run ./cmd/api migrate up
	@diff="$$(go run ./cmd/api migrate diff)" || exit 1; \
	if [ -z "$$diff" ]; then echo "DATABASE_URL's database already matches ent/schema: no migration to write (make generate first?)"; exit 0; fi; \
	last="$$(ls $(MIGRATIONS_DIR) | sed -n 's/^\([0-9][0-9]*\)_.*\.sql$$/\1/p' | sort -n | tail -n 1)"; \
	file="$(MIGRATIONS_DIR)/$$(printf '%05d' "$$(expr "$${last:-0}" + 1)")_$(NAME).sql"; \
	{ \
		echo "-- $(NAME): written by make migration from Ent's schema diff. Review it, and write the Down section."; \
		echo; echo "-- +goose Up"; printf '%s\n' "$$diff"; \
		echo; echo "-- +goose Down"; echo "-- The statements that undo the Up section, in reverse order."; \
	} > "$$file"; \
	echo "wrote $$file: review it, write its Down section, then make migrate"

.PHONY: loadtest-admin
loadtest-admin: build ## Register LOADTEST_ADMIN_EMAIL through the running api and make it an admin, once, for make loadtest
	$(BIN_DIR)/loadtest -api $(API_URL) -register-admin
	$(BIN_DIR)/api promote "$(LOADTEST_ADMIN_EMAIL)"

.PHONY: loadtest
loadtest: build ## Place orders through the running api (API_URL) for LOADTEST_DURATION, then read the catalog; report orders/s and p50/p99
	$(BIN_DIR)/loadtest -api $(API_URL) -clients $(LOADTEST_CLIENTS) -products $(LOADTEST_PRODUCTS) -duration $(LOADTEST_DURATION)
