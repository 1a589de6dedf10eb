PPROF_ADDR      ?= 127.0.0.1:6060
PROFILE_SECONDS ?= 30
MIGRATE         ?= up

.PHONY: run
run: build ## Build and run the server (needs DATABASE_URL and REDIS_URL)
	./$(BIN_DIR)/$(notdir $(CURDIR))

.PHONY: migrate
migrate: ## Run database migrations (MIGRATE=up|down|status, default up)
	go run ./cmd/$(notdir $(CURDIR)) migrate $(MIGRATE)

.PHONY: profile
profile: ## Capture a CPU profile from the admin pprof endpoint (ADMIN_ADDR must be set on the server)
	curl -fsS -o cpu.pprof "http://$(PPROF_ADDR)/debug/pprof/profile?seconds=$(PROFILE_SECONDS)"
	@echo "wrote cpu.pprof; inspect it with: go tool pprof -http=: cpu.pprof"
