// Package ent is the code Ent generates from ./schema; `make generate` rewrites it and CI checks
// that it matches.
package ent

//go:generate go tool ent generate --feature sql/lock,sql/execquery,sql/upsert,sql/modifier ./schema
