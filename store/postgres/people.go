package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/supportd/supportd/store"
)

// RememberPerson records the caller's id, role and latest name. It writes only when
// something changed, so calling it on every request costs one index lookup.
func (db *DB) RememberPerson(ctx context.Context, c store.Caller) error {
	_, err := db.pool.Exec(ctx, `
		INSERT INTO people AS p (id, name, role) VALUES ($1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, role = EXCLUDED.role, updated_at = now()
		WHERE p.name <> EXCLUDED.name OR p.role <> EXCLUDED.role`,
		c.ID, c.Name, c.Role)
	return wrap("remember person", err)
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
			INSERT INTO people (id, name, role) VALUES ($1, $2, $3)
			ON CONFLICT (id) DO NOTHING
			RETURNING name)
		SELECT name FROM ins
		UNION ALL
		SELECT name FROM people WHERE id = $1`,
		w.c.ID, w.c.Name, w.c.Role).QueryRow(func(row pgx.Row) error {
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
