package pubsub

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/supportd/supportd/store"
)

// Outcomes of a delivery attempt: the closed set of the attempts metric's label.
const (
	outcomeDelivered = "delivered" // 2xx
	outcomeStatus    = "status"    // the endpoint answered, not 2xx
	outcomeTimeout   = "timeout"   // no answer within the timeout
	outcomeNetwork   = "network"   // no connection, reset, bad URL
)

type webhookMetrics struct {
	attempts *prometheus.CounterVec
	delay    prometheus.Histogram

	mu      sync.Mutex
	pending map[store.ID]time.Time // per held webhook: the time of its oldest undelivered event
}

func newWebhookMetrics(reg prometheus.Registerer) *webhookMetrics {
	m := &webhookMetrics{
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "supportd_webhook_attempts_total",
			Help: "Webhook delivery attempts by outcome (delivered, status, timeout, network); all but delivered are failures.",
		}, []string{"outcome"}),
		delay: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "supportd_webhook_delivery_delay_seconds",
			Help:    "Time from an event to its 2xx from a webhook endpoint.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 600},
		}),
		pending: map[store.ID]time.Time{},
	}
	lag := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "supportd_webhook_lag_seconds",
		Help: "Age of the oldest event not yet delivered to a webhook this instance holds (0 when all are caught up).",
	}, m.lag)
	held := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "supportd_webhooks_held",
		Help: "Webhooks this instance holds the delivery lease of.",
	}, func() float64 {
		m.mu.Lock()
		defer m.mu.Unlock()
		return float64(len(m.pending))
	})
	if reg != nil {
		reg.MustRegister(m.attempts, m.delay, lag, held)
	}
	return m
}

// setPending records the time of a webhook's oldest undelivered event (zero: none).
func (m *webhookMetrics) setPending(id store.ID, at time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pending[id] = at
}

func (m *webhookMetrics) drop(id store.ID) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.pending, id)
}

func (m *webhookMetrics) lag() float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	var worst time.Duration
	for _, at := range m.pending {
		if !at.IsZero() {
			worst = max(worst, time.Since(at))
		}
	}
	return worst.Seconds()
}
