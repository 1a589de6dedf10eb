package config

// The answers given when the project was generated. Everything else reads them from here.
const (
	// AppName is the application's name: the JWT issuer and audience, the RabbitMQ exchange and
	// queue prefix and the metric namespace default to it.
	AppName string = "ecommerce"
	// DefaultLowStockThreshold is the stock level below which an order raises a stock-low alert,
	// unless LOW_STOCK_THRESHOLD says otherwise.
	DefaultLowStockThreshold int = 5
	// DefaultMaxDeliveryAttempts is how many times the worker tries a message before it parks it,
	// unless MAX_DELIVERY_ATTEMPTS says otherwise.
	DefaultMaxDeliveryAttempts int = 5
)
