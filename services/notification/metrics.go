package notification

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/clinjobs/clinjobs/pkg/bus"
)

type metrics struct {
	consumer   *bus.ConsumerMetrics
	deliveries *prometheus.CounterVec
	sendTime   *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		consumer: bus.NewConsumerMetrics(reg),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "notification_deliveries_total",
			Help: "Deliveries by channel, kind and outcome: sent, duplicate (already sent), failed (to be retried), dead (out of tries), held (endpoint paused), deferred (endpoint busy or circuit open), dropped (subscription gone or paused).",
		}, []string{"channel", "kind", "outcome"}),
		sendTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "notification_send_seconds", Help: "Time to send one delivery, by channel and outcome (ok, error).",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12),
		}, []string{"channel", "outcome"}),
	}
	reg.MustRegister(m.deliveries, m.sendTime)
	return m
}
