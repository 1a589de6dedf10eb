package httpapi

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v5"

	"example.com/gopher-template/ecommerce/internal/accounts"
	"example.com/gopher-template/ecommerce/internal/httpapi/gen"
	"example.com/gopher-template/ecommerce/internal/ordering"
)

// PlaceOrder buys the items for the caller: 201 with the order and its Location, or, for a
// replayed Idempotency-Key, the first order's answer again with Idempotent-Replayed: true.
func (s *server) PlaceOrder(c *echo.Context, params gen.PlaceOrderParams) error {
	who, err := caller(c)
	if err != nil {
		return err
	}
	key := ""
	if params.IdempotencyKey != nil {
		key = *params.IdempotencyKey
		if !ordering.ValidIdempotencyKey(key) {
			return &problem{Status: http.StatusBadRequest, Type: typeValidation, Detail: "parameters break the rules; see errors",
				Errors: []gen.FieldError{{Field: "Idempotency-Key", Detail: fmt.Sprintf("must be 1 to %d printable ASCII characters without spaces", ordering.MaxIdempotencyKeyLength)}}}
		}
	}
	var body gen.PlaceOrderJSONRequestBody
	if err := s.decodeBody(c, &body); err != nil {
		return err
	}
	items := make([]ordering.Item, len(body.Items))
	for i, it := range body.Items {
		items[i] = ordering.Item{ProductID: it.ProductId, Quantity: it.Quantity}
	}
	ctx := c.Request().Context()
	o, replayed, err := s.orders.Place(ctx, ordering.PlaceRequest{CustomerID: who.ID, Items: items, IdempotencyKey: key})
	if err != nil {
		return s.placeProblem(c, err, items)
	}
	h := c.Response().Header()
	h.Set("Location", BasePath+"/orders/"+o.ID.String())
	if replayed {
		h.Set("Idempotent-Replayed", "true")
	}
	return c.JSON(http.StatusCreated, orderOut(o))
}

// placeProblem names the line a stock or product problem is about: the product's name and SKU
// for a shortage, the line's field for an unknown product.
func (s *server) placeProblem(c *echo.Context, err error, items []ordering.Item) error {
	if short, ok := errors.AsType[*ordering.InsufficientStockError](err); ok {
		p := s.toProblem(c, err)
		if prod, getErr := s.catalog.Get(c.Request().Context(), short.ProductID); getErr == nil {
			p.Detail = fmt.Sprintf("not enough stock of %q (SKU %s, product %s): %d left", prod.Name, prod.SKU, prod.ID, prod.Stock)
		}
		return p
	}
	if unknown, ok := errors.AsType[*ordering.UnknownProductError](err); ok {
		p := s.toProblem(c, err)
		for i, it := range items {
			if it.ProductID == unknown.ProductID {
				p.Errors = []gen.FieldError{{Field: fmt.Sprintf("items[%d].product_id", i), Detail: "no such product"}}
			}
		}
		return p
	}
	return err
}

// GetOrder answers one of the caller's orders (any order, for an admin); others are 404.
func (s *server) GetOrder(c *echo.Context, id uuid.UUID) error {
	who, err := caller(c)
	if err != nil {
		return err
	}
	o, err := s.orders.Get(c.Request().Context(), ordering.Caller{CustomerID: who.ID, Admin: who.Role == accounts.RoleAdmin}, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, orderOut(o))
}

// ListOrders answers a page of the caller's orders, newest first.
func (s *server) ListOrders(c *echo.Context, params gen.ListOrdersParams) error {
	who, err := caller(c)
	if err != nil {
		return err
	}
	if err := s.checkParams(params); err != nil {
		return err
	}
	req := ordering.ListRequest{CustomerID: who.ID}
	if params.Cursor != nil {
		req.Cursor = *params.Cursor
	}
	if params.Limit != nil {
		req.Limit = *params.Limit
	}
	page, err := s.orders.List(c.Request().Context(), req)
	if err != nil {
		return paramProblem(err)
	}
	out := gen.OrderPage{Items: make([]gen.Order, 0, len(page.Items))}
	for _, o := range page.Items {
		out.Items = append(out.Items, orderOut(o))
	}
	if page.NextCursor != "" {
		out.NextCursor = &page.NextCursor
	}
	return c.JSON(http.StatusOK, out)
}

func orderOut(o ordering.Order) gen.Order {
	lines := make([]gen.OrderLine, 0, len(o.Lines))
	for _, l := range o.Lines {
		lines = append(lines, gen.OrderLine{ProductId: l.ProductID, Quantity: l.Quantity, UnitPriceCents: l.UnitPriceCents})
	}
	return gen.Order{Id: o.ID, CustomerId: o.CustomerID, Status: gen.OrderStatus(o.Status), Lines: lines,
		TotalCents: o.TotalCents, CreatedAt: o.CreatedAt.UTC()}
}
