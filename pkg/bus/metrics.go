package bus

import (
	"github.com/prometheus/client_golang/prometheus"
)

// ConsumerMetrics measures every consumer of a service: how long handling
// takes, how each message ended, and how many came again.
type ConsumerMetrics struct {
	duration     *prometheus.HistogramVec
	outcomes     *prometheus.CounterVec
	redeliveries *prometheus.CounterVec
}

// NewConsumerMetrics registers the consumer metrics on reg; one per registry.
func NewConsumerMetrics(reg prometheus.Registerer) *ConsumerMetrics {
	m := &ConsumerMetrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "jetstream_consume_duration_seconds",
			Help:    "Time to handle a JetStream message, by consumer.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
		}, []string{"consumer"}),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jetstream_consume_total",
			Help: "JetStream messages handled, by consumer and outcome (ack, retry, delay, term).",
		}, []string{"consumer", "outcome"}),
		redeliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jetstream_consume_redeliveries_total",
			Help: "JetStream messages handled that had been delivered before, by consumer.",
		}, []string{"consumer"}),
	}
	reg.MustRegister(m.duration, m.outcomes, m.redeliveries)
	return m
}
