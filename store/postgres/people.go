package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/supportd/supportd/store"
)

// RememberPerson records the caller's id, role and latest name, where the latest is
// the one of the most recently issued token (c.NameAt): a token older than the one
// that set the stored name changes nothing, so instances that see a person's tokens in
// any order agree. It writes only when something changed, so calling it on every
// request costs one index lookup.
func (db *DB) RememberPerson(ctx context.Context, c store.Caller) error {
	_, err := db.pool.Exec(ctx, `
		INSERT INTO people AS p (id, name, role, name_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (id) DO UPDATE
		   SET name = EXCLUDED.name, role = EXCLUDED.role, name_at = EXCLUDED.name_at, updated_at = now()
		 WHERE (p.name_at IS NULL OR EXCLUDED.name_at >= p.name_at)
		   AND (p.name <> EXCLUDED.name OR p.role <> EXCLUDED.role
		        OR p.name_at IS DISTINCT FROM EXCLUDED.name_at)`,
		c.ID, c.Name, c.Role, nameAt(c))
	return wrap("remember person", err)
}

// nameAt is c.NameAt as a column value: NULL for a token without iat, which the
// comparisons above treat as older than any instant.
func nameAt(c store.Caller) *time.Time {
	if c.NameAt.IsZero() {
		return nil
	}
	return &c.NameAt
}

// Person returns a remembered person and their role, or store.ErrNotFound.
func (db *DB) Person(ctx context.Context, id store.ID) (store.Person, store.Role, error) {
	p := store.Person{ID: id}
	var role store.Role
	err := db.pool.QueryRow(ctx, `SELECT name, role FROM people WHERE id = $1`, id).Scan(&p.Name, &role)
	if err != nil {
		return store.Person{}, "", notFound("person", err)
	}
	return p, role, nil
}

// writerName makes sure a writer has a row in people, so that reads can join a name,
// without overwriting a name that RememberPerson keeps up to date, and learns the name
// the reads will show.
type writerName struct {
	c     store.Caller
	name  string
	found bool
}

func (w *writerName) queue(b *pgx.Batch) {
	b.Queue(`
		WITH ins AS (
			INSERT INTO people (id, name, role, name_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (id) DO NOTHING
			RETURNING name)
		SELECT name FROM ins
		UNION ALL
		SELECT name FROM people WHERE id = $1`,
		w.c.ID, w.c.Name, w.c.Role, nameAt(w.c)).QueryRow(func(row pgx.Row) error {
		err := row.Scan(&w.name)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // settle reads it again
		}
		w.found = err == nil
		return wrap("ensure person", err)
	})
}

// settle runs after the batch. No row means the person was inserted by a transaction
// that committed after the statement's snapshot was taken (the insert waited for it):
// a new statement sees it.
func (w *writerName) settle(ctx context.Context, p *pipeTx) error {
	if w.found {
		return nil
	}
	b := &pgx.Batch{}
	b.Queue(`SELECT name FROM people WHERE id = $1`, w.c.ID).QueryRow(func(row pgx.Row) error {
		return wrap("ensure person", row.Scan(&w.name))
	})
	return p.batch(ctx, b)
}
