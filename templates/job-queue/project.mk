# Where `make run` listens: each binary gets its own as HTTP_ADDR, and its pprof listener as
# ADMIN_ADDR (set them in .env to move them; an empty *_ADMIN_ADDR turns that listener off).
API_ADDR             ?= 127.0.0.1:8080
WORKER_ADDR          ?= 127.0.0.1:8081
API_ADMIN_ADDR       ?= 127.0.0.1:6060
WORKER_ADMIN_ADDR    ?= 127.0.0.1:6061
API_URL              ?= http://$(API_ADDR)
WORKER_ADMIN_URL     ?= http://$(WORKER_ADMIN_ADDR)
LOADTEST_JOBS        ?= 5000
LOADTEST_CONCURRENCY ?= 32
PROFILE_SECONDS      ?= 20
PROFILE_DIR          ?= profiles

.PHONY: run
run: build ## Run the API (API_ADDR) and a worker (WORKER_ADDR, pprof on WORKER_ADMIN_ADDR) against NATS_URL; Ctrl-C stops both
	@trap 'kill $$api $$worker 2>/dev/null; wait; exit 0' INT TERM HUP; \
	HTTP_ADDR=$(API_ADDR) ADMIN_ADDR=$(API_ADMIN_ADDR) $(BIN_DIR)/api & api=$$!; \
	HTTP_ADDR=$(WORKER_ADDR) ADMIN_ADDR=$(WORKER_ADMIN_ADDR) $(BIN_DIR)/worker & worker=$$!; \
	wait

.PHONY: run-api
run-api: build ## Run only the API against NATS_URL
	HTTP_ADDR=$(API_ADDR) ADMIN_ADDR=$(API_ADMIN_ADDR) $(BIN_DIR)/api

.PHONY: run-worker
run-worker: build ## Run only a worker against NATS_URL
	HTTP_ADDR=$(WORKER_ADDR) ADMIN_ADDR=$(WORKER_ADMIN_ADDR) $(BIN_DIR)/worker

.PHONY: loadtest
loadtest: build ## Enqueue LOADTEST_JOBS echo jobs through the API at API_URL and report jobs/s end to end (watches NATS_URL, STREAM_PREFIX)
	$(BIN_DIR)/loadtest -api $(API_URL) -n $(LOADTEST_JOBS) -c $(LOADTEST_CONCURRENCY)

.PHONY: profile
profile: build ## Capture a CPU profile from the worker's pprof (WORKER_ADMIN_URL) while `make loadtest` runs
	@mkdir -p $(PROFILE_DIR)
	@echo "profiling $(WORKER_ADMIN_URL) for $(PROFILE_SECONDS)s while the load test runs"
	@curl -fsS -o $(PROFILE_DIR)/worker-cpu.pb.gz \
		"$(WORKER_ADMIN_URL)/debug/pprof/profile?seconds=$(PROFILE_SECONDS)" & curl=$$!; \
	$(MAKE) --no-print-directory loadtest; status=$$?; \
	wait $$curl || status=1; \
	exit $$status
	go tool pprof -top -nodecount 25 $(BIN_DIR)/worker $(PROFILE_DIR)/worker-cpu.pb.gz
	@echo "Explore: go tool pprof -http=:0 $(BIN_DIR)/worker $(PROFILE_DIR)/worker-cpu.pb.gz (see docs/profiling.md)"
