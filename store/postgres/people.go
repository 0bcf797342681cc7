package postgres

import (
	"context"
	"errors"
	"maps"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/supportd/supportd/store"
)

// RememberPerson records the caller's id, role and latest name, where the latest is
// the one of the most recently issued token (c.NameAt): a token older than the one
// that set the stored name changes nothing, so instances that see a person's tokens in
// any order agree. It writes only when something changed, so calling it on every
// request costs one index lookup.
//
// Concurrent calls share one upsert (see rememberBatch).
func (db *DB) RememberPerson(ctx context.Context, c store.Caller) error {
	return db.people.remember(ctx, c, db.rememberPeople)
}

// rememberPeople upserts people in one statement and returns the errors by
// person, and the statement's error when the database failed it whole. If one
// row's data fails it, each is tried alone, so that one person's row cannot fail
// the others' calls.
func (db *DB) rememberPeople(ctx context.Context, people []store.Caller) (map[store.ID]error, error) {
	latest := map[store.ID]store.Caller{}
	for _, c := range people {
		if old, ok := latest[c.ID]; !ok || !c.NameAt.Before(old.NameAt) {
			latest[c.ID] = c // one row per id: an upsert may not touch a row twice
		}
	}
	var ids, names, roles []string
	var at []*time.Time
	for _, c := range latest {
		ids, names, roles, at = append(ids, string(c.ID)), append(names, c.Name), append(roles, string(c.Role)), append(at, nameAt(c))
	}
	_, err := db.pool.Exec(ctx, `
		INSERT INTO people AS p (id, name, role, name_at)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[])
		ON CONFLICT (id) DO UPDATE
		   SET name = EXCLUDED.name, role = EXCLUDED.role, name_at = EXCLUDED.name_at, updated_at = now()
		 WHERE (p.name_at IS NULL OR EXCLUDED.name_at >= p.name_at)
		   AND (p.name <> EXCLUDED.name OR p.role <> EXCLUDED.role
		        OR p.name_at IS DISTINCT FROM EXCLUDED.name_at)`,
		ids, names, roles, at)
	var pgErr *pgconn.PgError
	switch {
	case err == nil:
		return nil, nil
	case len(latest) > 1 && errors.As(err, &pgErr) && (strings.HasPrefix(pgErr.Code, "22") || strings.HasPrefix(pgErr.Code, "23")):
		// One row's data (class 22, 23), not the database: try each alone.
	default:
		answered := errors.As(err, &pgErr)
		err = wrap("remember person", err)
		failed := map[store.ID]error{}
		for id := range latest {
			failed[id] = err
		}
		if answered {
			return failed, nil // the database is up: only this upsert failed
		}
		return failed, err
	}
	failed := map[store.ID]error{}
	for _, c := range latest {
		f, _ := db.rememberPeople(ctx, []store.Caller{c})
		maps.Copy(failed, f)
	}
	return failed, nil
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
