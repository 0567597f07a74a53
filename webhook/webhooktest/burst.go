package webhooktest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/intercom-privacy/intercom-privacy/webhook"
)

// Delivery is one signed notification to send.
type Delivery struct {
	// ID, Topic and ContactID are what the body holds.
	ID, Topic, ContactID string
	// Body is the notification; Signature its X-Hub-Signature.
	Body      []byte
	Signature string
}

// NewDelivery builds a realistic signed notification (a contact item with an
// email address, a name and a custom attribute, as Intercom sends them) for
// contact with notification id and topic.
func NewDelivery(secret []byte, id, topic, contact string) Delivery {
	b, _ := json.Marshal(map[string]any{"type": "notification_event", "id": id, "topic": topic, "app_id": "load",
		"created_at": 1767225600, "delivery_attempts": 1,
		"data": map[string]any{"type": "notification_event_data", "item": map[string]any{
			"type": "contact", "id": contact, "external_id": "ext-" + contact, "role": "user",
			"email": "person." + contact + "@example.com", "name": "Load Person", "custom_attributes": map[string]any{"plan": "pro"},
		}}})
	return Delivery{ID: id, Topic: topic, ContactID: contact, Body: b, Signature: webhook.Sign(secret, b)}
}

// BurstOptions configure Burst.
type BurstOptions struct {
	// URL is the webhook endpoint (http://127.0.0.1:port/webhooks/intercom).
	URL string
	// Concurrency is how many deliveries are in flight at once (1 when <= 0).
	Concurrency int
	// Client sends the requests (nil: a client with keep-alive connections
	// for Concurrency and a 60 s timeout).
	Client *http.Client
	// Retries is how many times a delivery answered 503 is sent again, after
	// the Retry-After it was given (capped at MaxRetryWait), as Intercom
	// would; 0 sends each once.
	Retries int
	// MaxRetryWait caps the wait before a retry (1 s when 0).
	MaxRetryWait time.Duration
}

// BurstResult is what a Burst saw.
type BurstResult struct {
	// Answers counts every answer by status code (503s that were retried
	// included); Final counts each delivery's last answer.
	Answers, Final map[int]int
	// TransportErrors counts requests that got no answer (each is delivered
	// again, up to Retries times).
	TransportErrors int
	// Unanswered counts deliveries that never got an answer, retries included.
	Unanswered int
	// UnavailableWithoutRetryAfter counts 503 answers without a valid
	// Retry-After header.
	UnavailableWithoutRetryAfter int
	// Latencies holds the time to the answer of every request, sorted.
	Latencies []time.Duration
	// Elapsed is the time from the first request to the last answer.
	Elapsed time.Duration
}

// Quantile returns the q-quantile (0..1) of the latencies (nearest rank), 0
// when there are none.
func (r BurstResult) Quantile(q float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	i := int(q*float64(len(r.Latencies))+0.5) - 1
	i = max(0, min(i, len(r.Latencies)-1))
	return r.Latencies[i]
}

// Max returns the longest latency.
func (r BurstResult) Max() time.Duration { return r.Quantile(1) }

// ServerErrors counts the final answers 500 and above other than 503.
func (r BurstResult) ServerErrors() int {
	n := 0
	for code, c := range r.Final {
		if code >= 500 && code != http.StatusServiceUnavailable {
			n += c
		}
	}
	return n
}

// Burst sends every delivery to o.URL, o.Concurrency at a time, and returns
// what it saw. It stops early, counting the rest as transport errors, when
// ctx is done.
func Burst(ctx context.Context, o BurstOptions, ds []Delivery) BurstResult {
	conc := max(o.Concurrency, 1)
	client := o.Client
	if client == nil {
		client = &http.Client{Timeout: time.Minute, Transport: &http.Transport{
			MaxIdleConns: conc, MaxIdleConnsPerHost: conc, IdleConnTimeout: time.Minute}}
	}
	maxWait := o.MaxRetryWait
	if maxWait <= 0 {
		maxWait = time.Second
	}
	res := BurstResult{Answers: map[int]int{}, Final: map[int]int{}}
	var mu sync.Mutex
	next := make(chan Delivery)
	var wg sync.WaitGroup
	start := time.Now()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d := range next {
				for attempt := 0; ; attempt++ {
					code, retryAfter, lat, err := post(ctx, client, o.URL, d)
					mu.Lock()
					if err != nil {
						// No answer (a connection reset or closed under load):
						// nothing was acknowledged, so a sender delivers it
						// again, as Intercom does.
						res.TransportErrors++
						giveUp := attempt >= o.Retries || ctx.Err() != nil
						if giveUp {
							res.Unanswered++
						}
						mu.Unlock()
						if giveUp {
							break
						}
						select {
						case <-ctx.Done():
						case <-time.After(maxWait):
						}
						continue
					}
					res.Latencies = append(res.Latencies, lat)
					res.Answers[code]++
					if code == http.StatusServiceUnavailable && retryAfter < 0 {
						res.UnavailableWithoutRetryAfter++
					}
					last := code != http.StatusServiceUnavailable || attempt >= o.Retries
					if last {
						res.Final[code]++
					}
					mu.Unlock()
					if last {
						break
					}
					wait := min(max(retryAfter, 0), maxWait)
					select {
					case <-ctx.Done():
					case <-time.After(wait):
					}
				}
			}
		}()
	}
	for _, d := range ds {
		select {
		case next <- d:
			continue
		case <-ctx.Done():
		}
		break
	}
	close(next)
	wg.Wait()
	res.Elapsed = time.Since(start)
	slices.Sort(res.Latencies)
	return res
}

// post sends one delivery and returns the status, the Retry-After given (-1
// when none or invalid) and the latency.
func post(ctx context.Context, c *http.Client, url string, d Delivery) (int, time.Duration, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(d.Body))
	if err != nil {
		return 0, 0, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(webhook.SignatureHeader, d.Signature)
	t := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return 0, 0, 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	lat := time.Since(t)
	ra := time.Duration(-1)
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 {
		ra = time.Duration(s) * time.Second
	}
	return resp.StatusCode, ra, lat, nil
}

// Mix returns n deliveries signed with secret, the load of a busy workspace:
// notification ids are prefix followed by a number; every dupEvery-th
// delivery (none when dupEvery <= 0) repeats the one 25 places before it (a
// redelivery, often in flight at the same time as the first); of the others,
// every purgeEvery-th is a contact.deleted of a contact that exists nowhere
// ("gone_<n>"), the rest contact.user.updated of contacts[n % len(contacts)].
// Purged and refreshed contacts are disjoint, so that each notification's
// effect can be checked on its own.
func Mix(secret []byte, prefix string, n, dupEvery, purgeEvery int, contacts []string) []Delivery {
	out := make([]Delivery, 0, n)
	for i := range n {
		if dupEvery > 0 && i >= 25 && i%dupEvery == 0 {
			out = append(out, out[i-25])
			continue
		}
		id := prefix + strconv.Itoa(i)
		switch {
		case purgeEvery > 0 && i%purgeEvery == 0, len(contacts) == 0:
			out = append(out, NewDelivery(secret, id, "contact.deleted", "gone_"+strconv.Itoa(i)))
		default:
			out = append(out, NewDelivery(secret, id, "contact.user.updated", contacts[i%len(contacts)]))
		}
	}
	return out
}
