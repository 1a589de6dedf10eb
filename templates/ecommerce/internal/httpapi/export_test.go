package httpapi

import (
	"context"

	"github.com/labstack/echo/v5"
)

// EngineRoutes returns the routes the engine New builds registers.
func EngineRoutes(opts Options) (echo.Routes, error) {
	e, err := newEngine(context.Background(), opts)
	if err != nil {
		return nil, err
	}
	return e.Router().Routes(), nil
}
