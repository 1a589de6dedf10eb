package store

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"

	"example.com/gopher-template/ecommerce/ent"
	"example.com/gopher-template/ecommerce/internal/pgdb"
)

// The constraints whose violations mean something to a port (names from the migrations).
const (
	productsSKUKey       = "products_sku_key"
	customersEmailKey    = "customers_email_key"
	ordersIdempotencyKey = "order_customer_id_idempotency_key"
	orderLinesProductFK  = "order_lines_products_order_lines"
)

// isViolation reports whether err is, or wraps, a PostgreSQL error with SQLSTATE code on the
// named constraint. Ent's ConstraintError wraps the driver's error, so this sees through it.
func isViolation(err error, code, constraint string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == code && pgErr.ConstraintName == constraint
}

func isUniqueViolation(err error, constraint string) bool {
	return isViolation(err, pgdb.UniqueViolation, constraint)
}

// notFound turns Ent's not-found error into the port's.
func notFound(err, portErr error) error {
	if ent.IsNotFound(err) {
		return portErr
	}
	return err
}
