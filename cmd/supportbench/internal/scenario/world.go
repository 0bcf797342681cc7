package scenario

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/supportd/supportd/cmd/supportbench/internal/identity"
	"github.com/supportd/supportd/cmd/supportbench/internal/ledger"
	"github.com/supportd/supportd/cmd/supportbench/internal/report"
	"github.com/supportd/supportd/cmd/supportbench/internal/wsclient"
)

// world is the setup fanout, storm and slow share: client and agent sockets,
// one ticket per client, and replies numbered 0… to random tickets.
type world struct {
	agents                         []*identity.User
	rx                             *wsclient.Receiver
	socks, clientSocks, adminSocks []*wsclient.Socket
	tk                             *tickets
	created                        []int
	rp                             *replies
	slow                           []bool // by socket index: not reading (slow), left out of waits and the ledger
}

// reading says whether s is open and read.
func (w *world) reading(s *wsclient.Socket) bool {
	return s.Opened() && (w.slow == nil || !w.slow[s.Index])
}

func newWorld(e *env, clients, admins, perAdmin, total int) (*world, error) {
	cl, err := e.mint.Users(identity.RoleClient, "sb "+e.c.run+" client", clients)
	if err != nil {
		return nil, err
	}
	w := &world{rx: wsclient.NewReceiver(e.c.run, total), rp: newReplies(total)}
	if w.agents, err = e.mint.Users(identity.RoleAdmin, "sb "+e.c.run+" agent", max(1, ceilDiv(admins, perAdmin))); err != nil {
		return nil, err
	}
	w.socks, w.clientSocks, w.adminSocks = population(w.rx, cl, w.agents, admins)
	assignTargets(e, w.socks)
	return w, nil
}

// setup has the first n clients create their ticket, waits for those events, and
// picks the ticket of every reply.
func (w *world) setup(ctx context.Context, e *env, r *report.Report, n int) error {
	clients := make([]*identity.User, n)
	for i := range clients {
		clients[i] = w.clientSocks[i].Who
	}
	w.tk = createTickets(ctx, e, clients, n)
	w.created = w.tk.created()
	// Slow's sockets still read here: they stop when the measured phase starts.
	agents := int64(countOpen(w.adminSocks))
	var due int64
	for _, i := range w.created {
		due += 2 * agents
		if w.clientSocks[i].Opened() {
			due += 2
		}
	}
	waited := waitSetup(ctx, w.rx, due, e.c.settle)
	r.Setup.Add("tickets", len(w.created))
	r.Setup.Add("ticketsIn", w.tk.elapsed.Round(time.Millisecond).String())
	r.Setup.Add("answers", report.FormatCodes(w.tk.codes.snapshot()))
	r.Setup.Add("setupEventsDelivered", fmt.Sprintf("%d of %d in %s", w.rx.Setup.Load(), due, waited.Round(time.Millisecond)))
	if len(w.created) == 0 {
		return fmt.Errorf("no ticket created (%s)", report.FormatCodes(w.tk.codes.snapshot()))
	}
	w.pickTickets(e)
	return nil
}

// pickTickets draws the ticket of every reply among the created ones, from the
// run's seed.
func (w *world) pickTickets(e *env) {
	rng := rand.New(rand.NewPCG(e.c.seed, e.c.seed^0x5eed))
	for n := range w.rp.ticket {
		w.rp.ticket[n] = int32(w.created[rng.IntN(len(w.created))])
	}
}

// check runs the ledger over socks with fanout's scope rules.
func (w *world) check(r *report.Report, socks []*wsclient.Socket) {
	okByTicket := map[int32][]int64{}
	var all []int64
	for _, i := range w.created {
		all = append(all, ticketKeys(i)...)
	}
	for _, n := range w.rp.ok {
		k := ledger.Key(ledger.KindReply, n)
		all = append(all, k)
		okByTicket[w.rp.ticket[n]] = append(okByTicket[w.rp.ticket[n]], k)
	}
	maybe := func(k int64) bool { return w.rp.maybe(k) || w.tk.uncertain[k] }
	checkLedger(r, socks, func(s *wsclient.Socket) []int64 {
		if s.Who.Admin() {
			return all
		}
		i := s.Index - len(w.adminSocks)
		if i >= len(w.tk.ids) || w.tk.ids[i] == "" {
			return nil
		}
		return append(ticketKeys(i), okByTicket[int32(i)]...)
	}, maybe)
}
