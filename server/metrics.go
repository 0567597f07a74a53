package server

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
)

// Counter names shown by /metrics.
const (
	// MetricWebhookNotifications counts notifications that reached the end of
	// the receiver, by result: accepted, duplicate, ping, ignored.
	MetricWebhookNotifications = "intercom_privacy_webhook_notifications_total"
	// MetricWebhookRejected counts refused notifications by reason: signature,
	// malformed, too_large, content_type, method, unavailable (503, deliver
	// again later), store_failed, not_configured.
	MetricWebhookRejected = "intercom_privacy_webhook_rejected_total"
	// MetricHTTPRequests counts HTTP requests by route and status code.
	MetricHTTPRequests = "intercom_privacy_http_requests_total"
	// MetricWebhookApplied counts stored events applied later by the
	// applier, by result: stored, purged, skipped, failed, deferred.
	MetricWebhookApplied = "intercom_privacy_webhook_applied_total"
	// MetricWebhookBatches counts the transactions that stored notifications
	// together (group commit), by result: committed, failed.
	MetricWebhookBatches = "intercom_privacy_webhook_batches_total"
	// MetricWebhookBatchUnits counts the notifications those transactions
	// held, by result; divided by MetricWebhookBatches it is the batch size.
	MetricWebhookBatchUnits = "intercom_privacy_webhook_batch_units_total"
)

var help = map[string]string{
	MetricWebhookNotifications: "Webhook notifications answered 200, by result.",
	MetricWebhookRejected:      "Webhook notifications refused, by reason.",
	MetricHTTPRequests:         "HTTP requests served, by route and status code.",
	MetricWebhookApplied:       "Stored webhook events applied by the background applier, by result.",
	MetricWebhookBatches:       "Transactions that stored webhook notifications together, by result.",
	MetricWebhookBatchUnits:    "Webhook notifications held by those transactions, by result.",
}

// Metrics is a set of counters with labels, written in the Prometheus text
// exposition format. It is safe for concurrent use. Label values must hold no
// personal data: the server uses fixed words and status codes only.
type Metrics struct {
	mu         sync.Mutex
	series     map[string]map[string]int64 // name -> rendered labels -> value
	histograms map[string]*Histogram
}

// NewMetrics returns an empty set.
func NewMetrics() *Metrics { return &Metrics{series: map[string]map[string]int64{}} }

// Add adds n to the counter name with the given labels.
func (m *Metrics) Add(name string, n int64, labels ...[2]string) {
	key := renderLabels(labels)
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.series[name]
	if s == nil {
		s = map[string]int64{}
		m.series[name] = s
	}
	s[key] += n
}

// Value returns the counter name with the given labels (0 when never added).
func (m *Metrics) Value(name string, labels ...[2]string) int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.series[name][renderLabels(labels)]
}

func renderLabels(labels [][2]string) string {
	if len(labels) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, l := range labels {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(l[0])
		b.WriteString(`="`)
		b.WriteString(escapeLabel(l[1]))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

// escapeLabel escapes a label value as the text format requires.
func escapeLabel(v string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`).Replace(v)
}

// write writes every counter, then the gauges, sorted by name and labels.
func (m *Metrics) write(w io.Writer, gauges []Gauge) {
	m.mu.Lock()
	names := make([]string, 0, len(m.series)+len(help))
	for n := range m.series {
		names = append(names, n)
	}
	for n := range help {
		if _, ok := m.series[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	type line struct {
		labels string
		v      int64
	}
	out := make(map[string][]line, len(names))
	for _, n := range names {
		for l, v := range m.series[n] {
			out[n] = append(out[n], line{l, v})
		}
		slices.SortFunc(out[n], func(a, b line) int { return strings.Compare(a.labels, b.labels) })
	}
	m.mu.Unlock()
	for _, n := range names {
		if h := help[n]; h != "" {
			fmt.Fprintf(w, "# HELP %s %s\n", n, h)
		}
		fmt.Fprintf(w, "# TYPE %s counter\n", n)
		for _, l := range out[n] {
			fmt.Fprintf(w, "%s%s %d\n", n, l.labels, l.v)
		}
	}
	byName := map[string][]Gauge{}
	var gnames []string
	for _, g := range gauges {
		if _, ok := byName[g.Name]; !ok {
			gnames = append(gnames, g.Name)
		}
		byName[g.Name] = append(byName[g.Name], g)
	}
	slices.Sort(gnames)
	for _, n := range gnames {
		gs := byName[n]
		if gs[0].Help != "" {
			fmt.Fprintf(w, "# HELP %s %s\n", n, gs[0].Help)
		}
		fmt.Fprintf(w, "# TYPE %s gauge\n", n)
		for _, g := range gs {
			fmt.Fprintf(w, "%s%s %d\n", n, renderLabels(g.Labels), g.Value)
		}
	}
	m.writeHistograms(w)
}
