package config

// The answers given when the project was generated. Everything else reads them from here.
const (
	// AppName is the application's name: NATS connections are named after it.
	AppName string = "job-queue"
	// DefaultWorkerConcurrency is how many jobs one worker process runs at once unless
	// WORKER_CONCURRENCY says otherwise.
	DefaultWorkerConcurrency int = 8
)
