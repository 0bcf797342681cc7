package scenario

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"

	"github.com/supportd/supportd/cmd/supportbench/internal/identity"
)

// codes tallies answers by HTTP status ("201", "500") or by transport failure
// ("timeout", "net").
type codes struct {
	mu sync.Mutex
	m  map[string]int
}

func (c *codes) add(status int, err error) {
	k := strconv.Itoa(status)
	if err != nil {
		k = "net"
		var te interface{ Timeout() bool }
		if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &te) && te.Timeout()) {
			k = "timeout"
		}
	}
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]int{}
	}
	c.m[k]++
	c.mu.Unlock()
}

func (c *codes) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.m))
	for k, v := range c.m {
		out[k] = v
	}
	return out
}

// call is one REST request as who; it returns the status and body. Only 2xx
// bodies are read in full.
func (e *env) call(ctx context.Context, target int, who *identity.User, method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, e.targets[target].String()+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if who != nil {
		req.Header.Set("Authorization", who.Bearer)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e.rest.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return resp.StatusCode, nil, err
	}
	return resp.StatusCode, b, nil
}

type threadIn struct {
	Message string `json:"message"`
}

type insertIn struct {
	Title    string     `json:"title"`
	Category string     `json:"category"`
	Threads  []threadIn `json:"threads"`
	Client   string     `json:"client,omitempty"`
}

// insertTicket creates a ticket as who (a client: its own ticket) and returns its id.
func (e *env) insertTicket(ctx context.Context, who *identity.User, title, message string, tally *codes) (string, error) {
	status, b, err := e.call(ctx, 0, who, http.MethodPost, "/support-tickets/insert",
		insertIn{Title: title, Category: "other", Threads: []threadIn{{Message: message}}})
	tally.add(status, err)
	if err != nil {
		return "", err
	}
	if status != http.StatusCreated {
		return "", fmt.Errorf("insert: HTTP %d: %.200s", status, b)
	}
	var out struct {
		Data struct {
			ID string `json:"_id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &out); err != nil || out.Data.ID == "" {
		return "", fmt.Errorf("insert: unexpected answer %.200s", b)
	}
	return out.Data.ID, nil
}

// reply adds a thread to a ticket as who; it returns the HTTP status (0: no answer).
func (e *env) reply(ctx context.Context, who *identity.User, ticketID, message string) (int, error) {
	status, _, err := e.call(ctx, 0, who, http.MethodPost, "/support-tickets/"+ticketID+"/thread", threadIn{Message: message})
	return status, err
}

// forEach runs f(i) for i in [0, n) on conc goroutines, stopping early when ctx ends.
func forEach(ctx context.Context, n, conc int, f func(i int)) {
	if conc > n {
		conc = n
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range conc {
		wg.Go(func() {
			for i := range next {
				f(i)
			}
		})
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		select {
		case next <- i:
		case <-ctx.Done():
		}
	}
	close(next)
	wg.Wait()
}

func warnf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "supportbench: "+format+"\n", args...)
}
