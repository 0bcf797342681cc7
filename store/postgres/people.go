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

// ensurePerson makes sure a writer has a row in people, so that reads can join a name,
// without overwriting a name that RememberPerson keeps up to date. It returns the name
// the reads will show.
func ensurePerson(ctx context.Context, tx pgx.Tx, c store.Caller) (string, error) {
	var name string
	err := tx.QueryRow(ctx, `
		WITH ins AS (
			INSERT INTO people (id, name, role) VALUES ($1, $2, $3)
			ON CONFLICT (id) DO NOTHING
			RETURNING name)
		SELECT name FROM ins
		UNION ALL
		SELECT name FROM people WHERE id = $1`,
		c.ID, c.Name, c.Role).Scan(&name)
	if errors.Is(err, pgx.ErrNoRows) {
		// The row was inserted by a transaction that committed after this statement's
		// snapshot was taken (the insert waited for it): a new statement sees it.
		err = tx.QueryRow(ctx, `SELECT name FROM people WHERE id = $1`, c.ID).Scan(&name)
	}
	return name, wrap("ensure person", err)
}
