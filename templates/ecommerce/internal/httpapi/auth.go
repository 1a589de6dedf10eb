package httpapi

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"
	"github.com/labstack/echo/v5"

	"example.com/gopher-template/ecommerce/internal/accounts"
)

// securityScheme is the document's one security scheme: a bearer JWT.
const securityScheme = "bearerAuth"

// rolesExtension lists, on an operation that takes a token, the roles it admits.
const rolesExtension = "x-roles"

// principalKey is where authenticate leaves the caller in the Echo context.
const principalKey = "httpapi.principal"

// principal is who a request's valid token speaks for.
type principal struct {
	ID   uuid.UUID
	Role accounts.Role
}

// operationMiddlewares returns, per operationId, the authentication its document entry asks
// for: none for an operation with an empty security requirement, else a bearer token of one of
// its x-roles. An operation that takes a token but names no role is a mistake in the document.
func (s *server) operationMiddlewares(doc *openapi3.T) (map[string][]echo.MiddlewareFunc, error) {
	out := map[string][]echo.MiddlewareFunc{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			requirements := doc.Security
			if op.Security != nil {
				requirements = *op.Security
			}
			roles, err := operationRoles(op)
			if err != nil {
				return nil, fmt.Errorf("httpapi: %s %s: %w", method, path, err)
			}
			if len(requirements) == 0 {
				if len(roles) != 0 {
					return nil, fmt.Errorf("httpapi: %s %s is public but lists %s", method, path, rolesExtension)
				}
				continue
			}
			for _, req := range requirements {
				if _, ok := req[securityScheme]; !ok || len(req) != 1 {
					return nil, fmt.Errorf("httpapi: %s %s: only the %s security scheme is implemented", method, path, securityScheme)
				}
			}
			if len(roles) == 0 {
				return nil, fmt.Errorf("httpapi: %s %s takes a token but lists no %s", method, path, rolesExtension)
			}
			out[op.OperationID] = []echo.MiddlewareFunc{s.authenticate(roles)}
		}
	}
	return out, nil
}

func operationRoles(op *openapi3.Operation) ([]accounts.Role, error) {
	raw, ok := op.Extensions[rolesExtension]
	if !ok {
		return nil, nil
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, fmt.Errorf("%s must be a list of roles", rolesExtension)
	}
	roles := make([]accounts.Role, 0, len(list))
	for _, v := range list {
		name, _ := v.(string)
		role := accounts.Role(name)
		if role != accounts.RoleCustomer && role != accounts.RoleAdmin {
			return nil, fmt.Errorf("%s: unknown role %v", rolesExtension, v)
		}
		roles = append(roles, role)
	}
	return roles, nil
}

// authenticate requires a valid bearer token (401 with WWW-Authenticate otherwise) whose role is
// one of roles (403 otherwise), and leaves the caller in the context.
func (s *server) authenticate(roles []accounts.Role) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			scheme, tok, found := strings.Cut(c.Request().Header.Get("Authorization"), " ")
			if !found || !strings.EqualFold(scheme, "Bearer") || tok == "" {
				return unauthorized(`Bearer realm="api"`, "this operation needs a bearer access token (POST /v1/auth/login)")
			}
			p, err := s.tokens.Parse(strings.TrimSpace(tok))
			role := accounts.Role(p.Role)
			if err != nil || (role != accounts.RoleCustomer && role != accounts.RoleAdmin) {
				return unauthorized(`Bearer realm="api", error="invalid_token"`, "the access token is invalid or expired")
			}
			if !slices.Contains(roles, role) {
				return &problem{Status: http.StatusForbidden, Detail: fmt.Sprintf("the %s role may not do this", role)}
			}
			c.Set(principalKey, principal{ID: p.Subject, Role: role})
			return next(c)
		}
	}
}

func unauthorized(challenge, detail string) *problem {
	return &problem{Status: http.StatusUnauthorized, Detail: detail, headers: map[string]string{"WWW-Authenticate": challenge}}
}

// caller returns the authenticated caller; an operation without authentication has none.
func caller(c *echo.Context) (principal, error) {
	p, err := echo.ContextGet[principal](c, principalKey)
	if err != nil {
		return principal{}, fmt.Errorf("httpapi: no authenticated caller on %s: %w", c.Path(), err)
	}
	return p, nil
}
