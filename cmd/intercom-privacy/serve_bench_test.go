package main

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/server"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/sqlite"
	"github.com/intercom-privacy/intercom-privacy/vault"
	"github.com/intercom-privacy/intercom-privacy/webhook"
	"github.com/intercom-privacy/intercom-privacy/webhook/webhooktest"
)

// Environment of BenchmarkServeWebhookLoad.
const (
	// envBenchBinaries lists the builds to compare, name=path separated by
	// commas (e.g. baseline=/tmp/ip-old,current=/tmp/ip-new).
	envBenchBinaries = "SERVE_BENCH_BINARIES"
	// envBenchN and envBenchConcurrency override 20000 notifications, 50
	// in flight.
	envBenchN           = "SERVE_BENCH_N"
	envBenchConcurrency = "SERVE_BENCH_CONCURRENCY"
)

// BenchmarkServeWebhookLoad starts each build listed in SERVE_BENCH_BINARIES
// as a real `serve` process (workers and applier included) on a new SQLite
// file, against a sandbox workspace of 200 contacts, both on 127.0.0.1, and
// sends it 20,000 signed notifications, 50 at a time: three in four
// contact.user.updated of live contacts, one in four contact.deleted of
// unknown contacts (purge with an audit record), one in ten a redelivery of
// the notification sent 25 before. Each is sent once (a 503 is counted, not
// retried). It reports the latency quantiles of the answers, the 5xx other
// than 503, the 503s, the notifications stored, and whether `audit verify`
// passed afterwards. Builds run one after the other, in the order given, in
// the same run. Use -benchtime 1x.
//
// The path "memory" names a reference instead of a build: the same load
// against the server's handler over an in-memory sink (no database), served
// on 127.0.0.1 from the benchmark's own process: what the machine allows at
// all, signature checks and HTTP included.
func BenchmarkServeWebhookLoad(b *testing.B) {
	list := os.Getenv(envBenchBinaries)
	if list == "" {
		b.Skipf("set %s=name=path,... to the builds to compare (see docs/bench/webhooks.md)", envBenchBinaries)
	}
	n, conc := benchEnvInt(b, envBenchN, 20000), benchEnvInt(b, envBenchConcurrency, 50)
	for _, item := range strings.Split(list, ",") {
		name, bin, ok := strings.Cut(item, "=")
		if !ok {
			b.Fatalf("%s: %q is not name=path", envBenchBinaries, item)
		}
		b.Run(name, func(b *testing.B) {
			for range b.N {
				if bin == "memory" {
					runMemoryLoad(b, n, conc)
					continue
				}
				runServeLoad(b, bin, n, conc)
			}
		})
	}
}

// benchEnvInt reads a positive whole number from the environment variable
// name, or def when it is unset; the benchmarks and measuring tests of this
// package share it.
func benchEnvInt(b testing.TB, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}

func runServeLoad(b *testing.B, bin string, n, conc int) {
	b.StopTimer()
	sb, err := sandbox.New(sandbox.Options{Contacts: 200, ContactsOnly: true, RateLimit: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer sb.Close()
	api := httptest.NewServer(sb.Handler())
	defer api.Close()
	key, err := vault.GenerateMasterKey()
	if err != nil {
		b.Fatal(err)
	}
	const secret = "bench-load-secret"
	dbURL := "sqlite://" + filepath.Join(b.TempDir(), "load.db")
	env := append(os.Environ(), "DATABASE_URL="+dbURL, vault.EnvMasterKey+"="+key, config.EnvFile+"=",
		intercom.EnvAccessToken+"="+sb.Token(), intercom.EnvAPIURL+"="+api.URL, server.EnvClientSecret+"="+secret)
	run := func(args ...string) (string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := run("keys", "init"); err != nil {
		b.Fatalf("keys init: %v\n%s", err, out)
	}
	var contacts []string
	for _, c := range sb.Workspace().Contacts() {
		if !c.Archived && c.MergedInto == "" { // found by the applier: its events stay
			contacts = append(contacts, c.ID)
		}
	}
	ds := webhooktest.Mix([]byte(secret), "notif_load_", n, 10, 4, contacts)

	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--stop-timeout", "60s")
	cmd.Env = env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer cmd.Process.Kill()
	base := make(chan string, 1)
	drained := make(chan struct{})
	var errLines []string // the first error lines serve logged
	go func() {
		// Read every line (serve logs each request), keep the address and the
		// first errors.
		defer close(drained)
		re := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				base <- m[1]
			}
			if strings.Contains(sc.Text(), "level=ERROR") && len(errLines) < 5 {
				errLines = append(errLines, sc.Text())
			}
		}
	}()
	var url string
	select {
	case url = <-base:
	case <-drained:
		b.Fatal("serve exited before listening")
	case <-time.After(2 * time.Minute):
		b.Fatal("serve did not listen within 2 minutes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	// A build that listens before its database is open says when it is ready
	// at /healthz (older builds answer it once the database answers).
	for ready := false; !ready; {
		resp, err := http.Get(url + server.PathHealth)
		if err == nil {
			ready = resp.StatusCode == http.StatusOK
			resp.Body.Close()
		}
		select {
		case <-ctx.Done():
			b.Fatal("serve did not become ready")
		case <-time.After(20 * time.Millisecond):
		}
	}
	b.StartTimer()
	res := webhooktest.Burst(ctx, webhooktest.BurstOptions{URL: url + webhook.Path, Concurrency: conc}, ds)
	b.StopTimer()
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		b.Fatal(err)
	}
	<-drained
	if err := cmd.Wait(); err != nil {
		b.Logf("serve exited: %v", err)
	}
	for _, l := range errLines {
		b.Logf("serve logged: %s", l)
	}
	verified := 1.0
	if out, err := run("audit", "verify"); err != nil {
		verified = 0
		b.Logf("audit verify: %v\n%s", err, out)
	}
	st, err := store.Open(context.Background(), dbURL)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	var stored int64
	if err := st.(*sqlite.Store).SQLDB().QueryRowContext(ctx, `SELECT COUNT(*) FROM webhook_events`).Scan(&stored); err != nil {
		b.Fatal(err)
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(res.Quantile(0.5)), "p50-ms")
	b.ReportMetric(ms(res.Quantile(0.99)), "p99-ms")
	b.ReportMetric(ms(res.Max()), "max-ms")
	b.ReportMetric(float64(res.ServerErrors()), "5xx-not-503")
	b.ReportMetric(float64(res.Answers[http.StatusServiceUnavailable]), "503s")
	b.ReportMetric(float64(res.TransportErrors), "no-answer")
	distinct := map[string]bool{}
	for _, d := range ds {
		distinct[d.ID] = true
	}
	b.ReportMetric(float64(len(distinct)), "distinct-sent")
	b.ReportMetric(float64(stored), "stored")
	b.ReportMetric(verified, "audit-ok")
	b.ReportMetric(float64(len(ds))/res.Elapsed.Seconds(), "notifications/s")
	b.Logf("answers %v in %v", res.Answers, res.Elapsed)
}

// runMemoryLoad sends the load to server.Server over webhooktest.MemorySink.
func runMemoryLoad(b *testing.B, n, conc int) {
	b.StopTimer()
	const secret = "bench-load-secret"
	srv, err := server.New(server.Options{Secret: []byte(secret), Sink: &webhooktest.MemorySink{}})
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	contacts := make([]string, 200)
	for i := range contacts {
		contacts[i] = "c" + strconv.Itoa(i)
	}
	ds := webhooktest.Mix([]byte(secret), "notif_load_", n, 10, 4, contacts)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	b.StartTimer()
	res := webhooktest.Burst(ctx, webhooktest.BurstOptions{URL: hs.URL + webhook.Path, Concurrency: conc}, ds)
	b.StopTimer()
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(res.Quantile(0.5)), "p50-ms")
	b.ReportMetric(ms(res.Quantile(0.99)), "p99-ms")
	b.ReportMetric(ms(res.Max()), "max-ms")
	b.ReportMetric(float64(res.ServerErrors()), "5xx-not-503")
	b.ReportMetric(float64(len(ds))/res.Elapsed.Seconds(), "notifications/s")
	b.Logf("answers %v in %v", res.Answers, res.Elapsed)
}
