package config

// The values chosen when the project was generated. Everything else reads these constants.
const (
	// AppName names the binary; it prefixes its errors, metrics and cache keys.
	AppName string = "url-shortener"
	// DefaultHTTPPort is the port of HTTP_ADDR when that is unset.
	DefaultHTTPPort int = 8080
	// DefaultCodeLength is the length of generated codes when CODE_LENGTH is unset.
	DefaultCodeLength int = 7
)
