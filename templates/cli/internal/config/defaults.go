package config

// The program's name and defaults, chosen when the project was generated. Everything else
// derives from these constants, so renaming the program means changing them here (and
// renaming cmd/).
const (
	// AppName is the command's name: it names the config directory, the User-Agent
	// product and the man pages, and starts every example in the help text.
	AppName = "cli"
	// EnvPrefix starts every environment variable the CLI reads.
	EnvPrefix = "CLI_"
	// DefaultEndpoint is the API base URL used when no flag, environment variable or
	// profile sets one.
	DefaultEndpoint = "http://localhost:8080"
)
