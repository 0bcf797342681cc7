// Package store is supportd's data: the domain types, the Store interface, and its
// PostgreSQL and in-memory implementations, which one conformance suite holds alike.
package store
