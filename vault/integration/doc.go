// Package integration runs the vault against the real stores (SQLite always,
// PostgreSQL when TEST_DATABASE_URL is set): person keys created by two processes,
// erasure inside a store transaction, rotation resumed after a crash, and the
// re-wrap benchmarks. It is a separate package so that the vault's own tests do not
// depend on the store package.
package integration
