package main

import (
	"strings"
	"testing"

	"github.com/supportd/supportd/store"
)

// WS_DIRECT_WRITES is on unless set off, and anything but on or off stops the start.
func TestWSDirectWritesSetting(t *testing.T) {
	for v, want := range map[string]bool{"": false, "on": false, "1": false, "off": true, "false": true, "0": true} {
		cfg, err := loadConfig(func(k string) string { return map[string]string{"WS_DIRECT_WRITES": v}[k] }, "serve", nil)
		if err != nil || cfg.PlainWrites != want {
			t.Errorf("WS_DIRECT_WRITES=%q: got plain writes %v (%v), want %v", v, cfg.PlainWrites, err, want)
		}
	}
	_, err := loadConfig(func(k string) string { return map[string]string{"WS_DIRECT_WRITES": "maybe"}[k] }, "serve", nil)
	if err == nil || !strings.Contains(err.Error(), "WS_DIRECT_WRITES must be on or off") {
		t.Errorf("WS_DIRECT_WRITES=maybe: got %v, want an error naming the setting", err)
	}
}

// With WS_DIRECT_WRITES=off the server still delivers every event in scope,
// through the WebSocket library's own write path, and answers pings.
func TestWSDirectWritesOffDelivers(t *testing.T) {
	for name, env := range backends(t) {
		t.Run(name, func(t *testing.T) {
			e := env(t)
			e["WS_DIRECT_WRITES"] = "off"
			base, _ := startServe(t, e)
			a, agent := newPerson(t, store.RoleClient, "A"), newPerson(t, store.RoleSuperAdmin, "Ann")
			sa, sagent := mustDial(t, base, a, ""), mustDial(t, base, agent, "")
			for _, s := range []*sock{sa, sagent} {
				s.hello(t)
			}
			tk := createTicket(t, base, a, "plain")
			for _, s := range []*sock{sa, sagent} {
				if got := s.events(t, 3, eventWait); types(got) != "ticket.created,thread.added,counts" || got[0].TicketID != tk.ID {
					t.Fatalf("create: got %s", types(got))
				}
				s.quiet(t)
			}
			if n := wsMetricValue(t, base, "supportd_ws_frames_written_directly_total"); n != 0 {
				t.Fatalf("%v frames written directly, want none with WS_DIRECT_WRITES=off", n)
			}
			if n := wsMetricValue(t, base, "supportd_ws_frames_delivered_total"); n < 6 {
				t.Fatalf("%v frames delivered, want at least 6", n)
			}
		})
	}
}
