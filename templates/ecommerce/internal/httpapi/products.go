package httpapi

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v5"

	"example.com/gopher-template/ecommerce/internal/catalog"
	"example.com/gopher-template/ecommerce/internal/httpapi/gen"
)

// ListProducts answers a page of the catalog.
func (s *server) ListProducts(c *echo.Context, params gen.ListProductsParams) error {
	if err := s.checkParams(params); err != nil {
		return err
	}
	req := catalog.ListRequest{MinPriceCents: params.MinPrice, MaxPriceCents: params.MaxPrice}
	if params.Cursor != nil {
		req.Cursor = *params.Cursor
	}
	if params.Limit != nil {
		req.Limit = *params.Limit
	}
	if params.Q != nil {
		req.Search = *params.Q
	}
	if params.InStock != nil {
		req.InStock = *params.InStock
	}
	if params.Sort != nil {
		req.Sort = catalog.SortField(*params.Sort)
	}
	if params.Order != nil {
		req.Desc = *params.Order == gen.Desc
	}
	page, err := s.catalog.List(c.Request().Context(), req)
	if err != nil {
		return paramProblem(err)
	}
	out := gen.ProductPage{Items: make([]gen.Product, 0, len(page.Items))}
	for _, p := range page.Items {
		out.Items = append(out.Items, productOut(p))
	}
	if page.NextCursor != "" {
		out.NextCursor = &page.NextCursor
	}
	return c.JSON(http.StatusOK, out)
}

// GetProduct answers a product with its ETag, or 304 when If-None-Match lists it.
func (s *server) GetProduct(c *echo.Context, id gen.ProductID, params gen.GetProductParams) error {
	p, err := s.catalog.Get(c.Request().Context(), id)
	if err != nil {
		return err
	}
	etag := productETag(p)
	c.Response().Header().Set("ETag", etag)
	if params.IfNoneMatch != nil && etagListMatches(*params.IfNoneMatch, etag, true) {
		return c.NoContent(http.StatusNotModified)
	}
	return c.JSON(http.StatusOK, productOut(p))
}

// CreateProduct creates a product: 201 with its Location and ETag.
func (s *server) CreateProduct(c *echo.Context) error {
	var body gen.CreateProductJSONRequestBody
	if err := s.decodeBody(c, &body); err != nil {
		return err
	}
	p, err := s.catalog.Create(c.Request().Context(), catalog.NewProduct{
		SKU: body.Sku, Name: body.Name, Description: deref(body.Description), PriceCents: body.PriceCents, Stock: body.Stock,
	})
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Location", BasePath+"/products/"+p.ID.String())
	h.Set("ETag", productETag(p))
	return c.JSON(http.StatusCreated, productOut(p))
}

// UpdateProduct replaces a product's mutable fields if If-Match (required: 428) lists its ETag
// (412 otherwise).
func (s *server) UpdateProduct(c *echo.Context, id gen.ProductID, params gen.UpdateProductParams) error {
	if params.IfMatch == nil {
		return &problem{Status: http.StatusPreconditionRequired, Type: typePreconditionRequired,
			Detail: "send If-Match with the ETag you read (or *), so that a change made meanwhile is not lost"}
	}
	var body gen.UpdateProductJSONRequestBody
	if err := s.decodeBody(c, &body); err != nil {
		return err
	}
	pre, err := s.precondition(c, id, *params.IfMatch)
	if err != nil {
		return err
	}
	p, err := s.catalog.Update(c.Request().Context(), id, pre, catalog.Change{
		Name: body.Name, Description: deref(body.Description), PriceCents: body.PriceCents, Stock: body.Stock,
	})
	if err != nil {
		return err
	}
	c.Response().Header().Set("ETag", productETag(p))
	return c.JSON(http.StatusOK, productOut(p))
}

// DeleteProduct deletes a product, if If-Match (optional) lists its ETag.
func (s *server) DeleteProduct(c *echo.Context, id gen.ProductID, params gen.DeleteProductParams) error {
	var pre catalog.Precondition
	if params.IfMatch != nil {
		var err error
		if pre, err = s.precondition(c, id, *params.IfMatch); err != nil {
			return err
		}
	}
	if err := s.catalog.Delete(c.Request().Context(), id, pre); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// precondition turns If-Match into the state of the product the write expects. "*" expects
// only that the product exists, which the write finds out (404). A list of tags is matched
// against the product as it is now (404 if there is none, 412 if no tag matches); the version
// and stock of the matching tag go to the write, which checks them again in its transaction, so
// that a change between this read and the write (an admin's new version, an order's stock) is
// 412 instead of being overwritten.
func (s *server) precondition(c *echo.Context, id gen.ProductID, ifMatch string) (catalog.Precondition, error) {
	if strings.TrimSpace(ifMatch) == "*" {
		return catalog.Precondition{}, nil
	}
	p, err := s.catalog.Get(c.Request().Context(), id)
	if err != nil {
		return catalog.Precondition{}, err
	}
	if !etagListMatches(ifMatch, productETag(p), false) {
		return catalog.Precondition{}, preconditionFailed()
	}
	return catalog.Precondition{Version: p.Version, Stock: p.Stock}, nil
}

func productOut(p catalog.Product) gen.Product {
	return gen.Product{Id: p.ID, Sku: p.SKU, Name: p.Name, Description: p.Description, PriceCents: p.PriceCents,
		Stock: p.Stock, Version: p.Version, CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC()}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
