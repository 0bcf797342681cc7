package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/supportd/supportd/store"
)

// asyncAPIURL names the served document for the schema compiler.
const asyncAPIURL = "https://supportd.invalid/asyncapi.json"

// TestAsyncAPIDescribesEveryFrame opens real sockets on a dev server, makes it send
// every kind of frame it can, and validates each frame against the schema the
// served /asyncapi.json gives its type; what the test sends is checked too.
func TestAsyncAPIDescribesEveryFrame(t *testing.T) {
	base, _ := startServe(t, map[string]string{"JWT_SECRET": secret, "RATE_LIMIT": "0"})
	receive, send := asyncAPISchemas(t, base)
	client, agent := newPerson(t, store.RoleClient, "Acme"), newPerson(t, store.RoleSuperAdmin, "Ann")
	as, cs := mustDial(t, base, agent, ""), mustDial(t, base, client, "")
	seen := map[string]int{}
	check := func(s *sock, until string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			f := s.next(t, time.Until(deadline)+time.Millisecond, true)
			validateFrame(t, receive, f)
			seen[f.Type]++
			if f.Type == until {
				return
			}
		}
	}
	say := func(s *sock, msg string) {
		t.Helper()
		validateFrame(t, send, frame{Type: gjsonType(msg), raw: msg})
		s.send(t, msg)
	}
	check(as, "presence")
	check(cs, "presence")
	// Another agent coming online: a delta for the agent's socket.
	mustDial(t, base, newPerson(t, store.RoleSuperAdmin, "Bob"), "")
	check(as, "presence.changed")
	tk := createTicket(t, base, client, "Printer on fire")
	check(as, "counts")
	if code := call(t, base, agent, "PUT", "/support-tickets/"+string(tk.ID), map[string]any{"status": "progress"}, nil); code != 200 {
		t.Fatalf("update: %d", code)
	}
	check(as, "counts")
	th := reply(t, base, agent, tk.ID, "On it")
	check(cs, "thread.added")
	say(cs, `{"type":"seen","threadIds":["`+string(th.ID)+`"]}`)
	check(as, "threads.seen")
	say(cs, `{"type":"typing","ticketId":"`+string(tk.ID)+`"}`)
	check(as, "typing")
	say(as, `{"type":"ping"}`)
	check(as, "pong")
	as.send(t, `{"type":"dance"}`)
	check(as, "error")
	if code := call(t, base, client, "DELETE", "/support-tickets/"+string(tk.ID), nil, nil); code != 200 {
		t.Fatalf("delete: %d", code)
	}
	check(cs, "ticket.deleted")
	rs := mustDial(t, base, agent, "lastEventId=999999999")
	check(rs, "reset")
	for _, typ := range []string{"hello", "presence", "presence.changed", "ticket.created", "thread.added", "counts", "ticket.updated",
		"ticket.status", "threads.seen", "ticket.deleted", "typing", "pong", "error", "reset"} {
		if seen[typ] == 0 {
			t.Errorf("no %s frame was checked", typ)
		}
	}
}

// gjsonType is the "type" of a JSON message.
func gjsonType(msg string) string {
	var m struct{ Type string }
	_ = json.Unmarshal([]byte(msg), &m)
	return m.Type
}

func validateFrame(t *testing.T, schemas map[string]*jsonschema.Schema, f frame) {
	t.Helper()
	sch, ok := schemas[f.Type]
	if !ok {
		t.Errorf("the AsyncAPI document has no message of type %q (%s)", f.Type, f.raw)
		return
	}
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(f.raw))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(v); err != nil {
		t.Errorf("%s frame does not match the AsyncAPI document: %#v\n%s", f.Type, err, f.raw)
	}
}

// asyncAPISchemas fetches /asyncapi.json and compiles the payload schema of every
// message of its receive and send operations, keyed by message name (= type).
func asyncAPISchemas(t *testing.T, base string) (receive, send map[string]*jsonschema.Schema) {
	t.Helper()
	code, body := do(t, "GET", base+"/asyncapi.json", "", "")
	if code != 200 {
		t.Fatalf("GET /asyncapi.json: %d", code)
	}
	var doc struct {
		AsyncAPI   string `json:"asyncapi"`
		Operations map[string]struct {
			Messages []struct {
				Ref string `json:"$ref"`
			} `json:"messages"`
		} `json:"operations"`
		Components struct {
			Messages map[string]struct {
				Name    string `json:"name"`
				Payload struct {
					Ref string `json:"$ref"`
				} `json:"payload"`
			} `json:"messages"`
		} `json:"components"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil || doc.AsyncAPI != "3.0.0" {
		t.Fatalf("not an AsyncAPI 3.0.0 document: %v", err)
	}
	raw, err := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	if err := c.AddResource(asyncAPIURL, raw); err != nil {
		t.Fatal(err)
	}
	compile := func(op string) map[string]*jsonschema.Schema {
		out := map[string]*jsonschema.Schema{}
		for _, ref := range doc.Operations[op].Messages {
			key := ref.Ref[strings.LastIndex(ref.Ref, "/")+1:]
			m, ok := doc.Components.Messages[key]
			if !ok {
				t.Fatalf("%s: no components.messages.%s", op, key)
			}
			sch, err := c.Compile(asyncAPIURL + m.Payload.Ref)
			if err != nil {
				t.Fatalf("message %s: %v", m.Name, err)
			}
			out[m.Name] = sch
		}
		return out
	}
	return compile("receiveEvents"), compile("sendMessages")
}
