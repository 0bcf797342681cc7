package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/supportd/supportd/store"
	"github.com/supportd/supportd/store/postgres"
	"github.com/supportd/supportd/store/postgres/pgtest"
)

// wantConsecutive checks that a socket that sees everything (an agent's) got ids
// first, first+1, … with none missing and none twice.
func wantConsecutive(t *testing.T, name string, got []frame) {
	t.Helper()
	for i := 1; i < len(got); i++ {
		prev, _ := strconv.ParseInt(got[i-1].ID, 10, 64)
		cur, _ := strconv.ParseInt(got[i].ID, 10, 64)
		if cur != prev+1 {
			t.Fatalf("%s: event %d has id %d after %d", name, i, cur, prev)
		}
	}
}

func TestWriteOnOneInstanceReachesSocketsOnAnother(t *testing.T) {
	env := sharedEnv(t, pgtest.NewDatabase(t), testRedisURL(t))
	one, _ := startServe(t, env)
	two, _ := startServe(t, env)
	a, agent := newPerson(t, store.RoleClient, "A"), newPerson(t, store.RoleSuperAdmin, "Ann")
	onTwo, agentOnTwo := mustDial(t, two, a, ""), mustDial(t, two, agent, "")
	onTwo.hello(t)
	agentOnTwo.hello(t)

	tk := createTicket(t, one, a, "cross-instance")
	reply(t, two, agent, tk.ID, "answered from two")
	reply(t, one, a, tk.ID, "thanks from one")
	for name, s := range map[string]*sock{"client": onTwo, "agent": agentOnTwo} {
		got := s.events(t, 5, eventWait)
		if types(got) != "ticket.created,thread.added,counts,thread.added,thread.added" {
			t.Fatalf("%s on two: got %s", name, types(got))
		}
		wantConsecutive(t, name, got)
	}
}

// TestRedisOutageLosesNothing stops Redis in the middle of a stream of writes and
// brings it back on the same address: every socket, on both instances, ends with
// every event, in order, none twice.
func TestRedisOutageLosesNothing(t *testing.T) {
	mr := miniredis.RunT(t)
	addr := mr.Addr()
	env := sharedEnv(t, pgtest.NewDatabase(t), "redis://"+addr)
	one, _ := startServe(t, env)
	two, _ := startServe(t, env)
	a, agent := newPerson(t, store.RoleClient, "A"), newPerson(t, store.RoleSuperAdmin, "Ann")
	socks := map[string]*sock{
		"agent on one": mustDial(t, one, agent, ""), "agent on two": mustDial(t, two, agent, ""),
		"client on one": mustDial(t, one, a, ""), "client on two": mustDial(t, two, a, ""),
	}
	for _, s := range socks {
		s.hello(t)
	}
	tk := createTicket(t, one, a, "outage")

	var ok atomic.Int64
	const writes = 120
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range writes {
			base := one
			if i%2 == 1 {
				base = two
			}
			if code, _ := post(base, agent, "/support-tickets/"+string(tk.ID)+"/thread", fmt.Sprintf(`{"message":"m%d"}`, i)); code == 201 {
				ok.Add(1)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	time.Sleep(150 * time.Millisecond)
	mr.Close()
	time.Sleep(700 * time.Millisecond)
	restarted := miniredis.NewMiniRedis()
	if err := restarted.StartAddr(addr); err != nil {
		t.Fatalf("restart miniredis on %s: %v", addr, err)
	}
	t.Cleanup(restarted.Close)
	<-done
	if ok.Load() != writes {
		t.Fatalf("%d of %d writes succeeded: writes must not depend on Redis", ok.Load(), writes)
	}
	for name, s := range socks {
		got := s.events(t, 3+writes, 15*time.Second)
		wantConsecutive(t, name, got)
		for i, f := range got[3:] {
			var th store.Thread
			_ = json.Unmarshal(f.Data, &th)
			if th.Message != fmt.Sprint("m", i) && f.Type == "thread.added" {
				// Writes alternate instances, so commit order can differ from send
				// order only for writes in flight together; here they are sequential.
				t.Fatalf("%s: event %d is %q, want m%d", name, i, th.Message, i)
			}
		}
		s.quiet(t)
	}
}

// TestEventRecordedButNotPublishedStillArrives plays an instance that died after
// its commit: once before its events were sequenced, once after they were
// sequenced but before they were published. The other instance's sockets get them.
func TestEventRecordedButNotPublishedStillArrives(t *testing.T) {
	dbURL := pgtest.NewDatabase(t)
	env := sharedEnv(t, dbURL, testRedisURL(t))
	alive, _ := startServe(t, env)
	agent := newPerson(t, store.RoleSuperAdmin, "Ann")
	s := mustDial(t, alive, agent, "")
	s.hello(t)

	// The dead instance: the same database, its own store, no relay, no broker.
	dead, err := postgres.Open(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dead.Close)
	client := store.Caller{ID: ids.New(time.Now()), Name: "A", Role: store.RoleClient}
	if err := dead.RememberPerson(t.Context(), client); err != nil {
		t.Fatal(err)
	}
	create := func(title string) store.Ticket {
		tk, _, err := dead.CreateTicket(t.Context(), store.NewTicket{
			Caller: client, Client: client.ID, Title: title, Category: "other",
			Threads: []store.NewThreadBody{{Message: "hi", Attachments: []store.ID{}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		return tk
	}

	unsequenced := create("died before sequencing")
	got := s.events(t, 3, 5*time.Second)
	if got[0].Type != "ticket.created" || got[0].TicketID != unsequenced.ID {
		t.Fatalf("got %s for %s", types(got), got[0].TicketID)
	}

	unpublished := create("died before publishing")
	if _, err := dead.SequenceEvents(t.Context()); err != nil {
		t.Fatal(err)
	}
	got = s.events(t, 3, 5*time.Second)
	if got[0].Type != "ticket.created" || got[0].TicketID != unpublished.ID {
		t.Fatalf("got %s for %s", types(got), got[0].TicketID)
	}
	s.quiet(t)
}
