package hub

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	open          *prometheus.GaugeVec
	events        prometheus.Counter
	delivered     prometheus.Counter
	direct        prometheus.Counter
	dropped       prometheus.Counter
	slow          prometheus.Counter
	replayed      prometheus.Counter
	caughtUp      prometheus.Counter
	subscriptions prometheus.Counter
	resubscribes  prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: "supportd_ws_" + name, Help: help})
	}
	m := &metrics{
		open: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "supportd_ws_sockets_open", Help: "Open WebSockets by role.",
		}, []string{"role"}),
		events:        counter("events_dispatched_total", "Events fanned out by this instance's hub."),
		delivered:     counter("frames_delivered_total", "Event frames written to sockets."),
		direct:        counter("frames_written_directly_total", "Event frames the fan-out wrote itself, without waking a goroutine of the socket (part of frames_delivered_total)."),
		dropped:       counter("frames_dropped_total", "Frames dropped because a socket's queue was full."),
		slow:          counter("slow_disconnects_total", "Sockets closed as slow consumers."),
		replayed:      counter("replayed_total", "Events written to resuming sockets from the event log."),
		caughtUp:      counter("caught_up_total", "Events read from the event log because the subscription missed them."),
		subscriptions: counter("subscriptions_total", "Times the broker subscription started or restarted (Redis reconnects)."),
		resubscribes:  counter("resubscribes_total", "Subscriptions restarted because they were silent while the log moved."),
	}
	if reg != nil {
		reg.MustRegister(m.open, m.events, m.delivered, m.direct, m.dropped, m.slow, m.replayed, m.caughtUp, m.subscriptions, m.resubscribes)
	}
	return m
}

// addDirect counts frames the fan-out wrote itself (see push).
func (m *metrics) addDirect(n int) {
	if n > 0 {
		m.delivered.Add(float64(n))
		m.direct.Add(float64(n))
	}
}
