package storetest

import (
	"testing"

	"github.com/supportd/supportd/store"
)

// test is one conformance case; it gets a fresh, empty store of its own.
type test struct {
	name string
	run  func(t *testing.T, s store.Store)
}

// Run runs the whole suite. open must return a fresh, empty, migrated store for each
// case and register its own cleanup (Run never calls Close). Cases do not call
// t.Parallel, so open may reuse one database between them.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	groups := []struct {
		name  string
		tests []test
	}{
		{"Person", personTests()},
		{"CreateTicket", createTests()},
		{"Ticket", ticketTests()},
		{"ListTickets", listTests()},
		{"Search", searchTests()},
		{"AddThread", threadTests()},
		{"Threads", threadPageTests()},
		{"UpdateTicket", updateTests()},
		{"DeleteTickets", deleteTests()},
		{"MarkSeen", seenTests()},
		{"LinkIssue", issueTests()},
		{"Idempotency", idempotencyTests()},
		{"Events", eventTests()},
		{"Concurrency", concurrencyTests()},
		{"Ownership", ownershipTests()},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) {
					tc.run(t, open(t))
				})
			}
		})
	}
}
