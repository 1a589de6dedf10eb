package httpapi

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v5"

	"example.com/gopher-template/ecommerce/internal/accounts"
	"example.com/gopher-template/ecommerce/internal/httpapi/gen"
)

// Register creates a customer account.
func (s *server) Register(c *echo.Context) error {
	var body gen.RegisterJSONRequestBody
	if err := s.decodeBody(c, &body); err != nil {
		return err
	}
	cust, err := s.accounts.Register(c.Request().Context(), accounts.Registration{Email: body.Email, Name: body.Name, Password: body.Password})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, gen.Account{Id: cust.ID, Email: cust.Email, Name: cust.Name, Role: gen.Role(cust.Role), CreatedAt: cust.CreatedAt})
}

// Login trades an email and a password for an access token.
func (s *server) Login(c *echo.Context) error {
	var body gen.LoginJSONRequestBody
	if err := s.decodeBody(c, &body); err != nil {
		return err
	}
	session, err := s.accounts.Login(c.Request().Context(), body.Email, body.Password)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, gen.AccessToken{
		AccessToken: session.AccessToken,
		TokenType:   gen.Bearer,
		ExpiresAt:   session.ExpiresAt.UTC(),
		ExpiresIn:   max(0, int(time.Until(session.ExpiresAt).Round(time.Second)/time.Second)),
	})
}
