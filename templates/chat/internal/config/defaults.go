package config

// The answers given when the project was generated. Everything else reads them from here.
const (
	// AppName is the application's name: the JWT issuer and audience, the NATS subject prefix and
	// the NATS connection names default to it.
	AppName string = "chat"
	// DefaultWSSendQueue is how many frames may wait for one slow WebSocket client before the
	// gateway drops it, unless WS_SEND_QUEUE says otherwise.
	DefaultWSSendQueue int = 64
)
