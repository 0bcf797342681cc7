package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/supportd/supportd/store"
)

// CreateTicket inserts a pending ticket with its first threads and their events. The
// owner is in.Owner(); a super admin's first threads are the super admin's. An owner
// never remembered is store.ErrNotFound.
//
// Two round trips: the reads the ticket needs (the owner's name and a number, the
// writer's name), then every insert with the COMMIT.
func (db *DB) CreateTicket(ctx context.Context, in store.NewTicket) (store.Ticket, *store.Replay, error) {
	var t store.Ticket
	key := &claim{caller: in.Caller.ID, idem: in.Idem}
	err := db.inPipeline(ctx, func(p *pipeTx) error {
		read, err := readForCreate(ctx, p, in, key)
		if err != nil {
			return err
		}
		var b *pgx.Batch
		if t, b, err = db.createWrites(in, read, key); err != nil {
			return err
		}
		p.commitWith(b)
		return nil
	})
	if rep, err := key.result(err); rep != nil || err != nil {
		return store.Ticket{}, rep, err
	}
	return t, nil, nil
}

// createRead is what a create reads before it writes.
type createRead struct {
	client store.Person // the owner, with its name
	number int64
	writer string // the caller's stored name
}

// readForCreate claims the idempotency key and reads the owner's name, a number and
// the writer's name in one round trip.
func readForCreate(ctx context.Context, p *pipeTx, in store.NewTicket, key *claim) (createRead, error) {
	writer := &writerName{c: in.Caller}
	read := createRead{client: store.Person{ID: in.Owner()}}
	b := &pgx.Batch{}
	key.queue(b)
	// The owner must be remembered: the client a super admin names, or the client
	// caller itself (the api remembers every caller first).
	//
	// The number is taken here only if the create will insert, so that replays,
	// mismatches and unknown owners leave no gap: an unknown owner has no row, and a
	// key this transaction claimed has no body yet (a committed create's row always
	// has one, and a concurrent create's claim has ended by now, as ours waited for it).
	var (
		unknown bool
		number  *int64
		idemKey *string
	)
	if in.Idem != nil {
		idemKey = &in.Idem.Key
	}
	b.Queue(`
		SELECT name, CASE WHEN $2::text IS NULL OR EXISTS (
		           SELECT 1 FROM idempotency WHERE caller_id = $3 AND key = $2 AND body IS NULL)
		       THEN nextval('ticket_number_seq') END
		  FROM people WHERE id = $1`, read.client.ID, idemKey, in.Caller.ID).QueryRow(func(row pgx.Row) error {
		return absent("client", row.Scan(&read.client.Name, &number), &unknown)
	})
	writer.queue(b)
	if err := p.batch(ctx, b); err != nil {
		return read, err
	}
	if err := key.settle(ctx, p); err != nil {
		return read, err
	}
	if unknown {
		return read, store.ErrNotFound
	}
	if err := writer.settle(ctx, p); err != nil {
		return read, err
	}
	if number == nil {
		return read, fmt.Errorf("postgres: ticket number: none was taken")
	}
	read.number, read.writer = *number, writer.name
	return read, nil
}

// createWrites builds the ticket and queues its inserts, events and stored reply.
func (db *DB) createWrites(in store.NewTicket, read createRead, key *claim) (store.Ticket, *pgx.Batch, error) {
	now := db.clock()
	zero := 0
	t := store.Ticket{
		ID:        db.ids.New(now.Time),
		Number:    read.number,
		Title:     in.Title,
		Subject:   store.ClonePtr(in.Subject),
		Category:  in.Category,
		Status:    store.StatusPending,
		API:       store.ClonePtr(in.API),
		Client:    read.client,
		Unread:    &zero, // the creator wrote every thread
		CreatedAt: now,
		UpdatedAt: now,
	}
	toClient, toSupport := unreadDelta(in.Caller.Role, len(in.Threads))
	b := &pgx.Batch{}
	b.Queue(`
		INSERT INTO tickets (id, number, title, subject, category, status, api, client_id,
		                     created_at, updated_at, unread_client, unread_support)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11)`,
		t.ID, t.Number, t.Title, t.Subject, t.Category, t.Status, t.API, t.Client.ID, now.Time, toClient, toSupport)
	t.Threads = make([]store.Thread, 0, len(in.Threads))
	for _, body := range in.Threads {
		th := store.BuildThread(db.ids.New(now.Time), t, in.Caller, read.writer, body, now)
		queueThread(b, th)
		t.Threads = append(t.Threads, th)
	}
	total := len(t.Threads)
	t.ThreadsTotal = &total
	queueEvents(b, store.CreatedEvents(t))
	if err := key.saveReply(b, t); err != nil {
		return store.Ticket{}, nil, err
	}
	return t, b, nil
}
