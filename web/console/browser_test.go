package console

import (
	"context"
	_ "embed"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/internal/browsertest"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

// axeSource is axe-core, vendored from its npm package (testdata/axe-core).
//
//go:embed testdata/axe-core/axe.min.js
var axeSource string

// axeVersion is the vendored axe-core's version (testdata/axe-core/README.md).
const axeVersion = "4.14.1"

// browser is one headless Chromium tab on the console under test.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
	dir  string
	n    int

	mu         sync.Mutex
	exceptions []string
}

func newBrowser(t *testing.T, base string, extra ...chromedp.ExecAllocatorOption) *browser {
	t.Helper()
	ctx := browsertest.Start(t, browsertest.Options{Width: 1280, Height: 1000, Extra: extra})
	dir := os.Getenv("CONSOLE_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s (set CONSOLE_SCREENSHOTS=DIR to keep them); axe-core %s", dir, axeVersion)
	b := &browser{t: t, ctx: ctx, base: base, dir: dir}
	err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*runtime.EventExceptionThrown); ok {
			b.mu.Lock()
			b.exceptions = append(b.exceptions, e.ExceptionDetails.Text)
			b.mu.Unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// do runs steps in the tab.
func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("chromium: %v", err)
	}
}

// get runs one action that returns a value.
func get[T any](b *browser, a chromedp.Action[T]) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, a)
	if err != nil {
		b.t.Fatalf("chromium: %v", err)
	}
	return v
}

// signIn signs the tab in as role (through the test stand-in for web/auth).
func (b *browser) signIn(role string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.base+"/test/sign-in?as="+role), chromedp.WaitVisible(chromedp.CSS("main h1")))
}

// visit opens path, checks its h1, keeps a screenshot named name and runs axe
// on it; it returns the text of the page's main element.
func (b *browser) visit(name, path, wantH1 string) string {
	b.t.Helper()
	b.do(chromedp.Navigate(b.base+path), chromedp.WaitVisible(chromedp.CSS("main h1")))
	h1 := get(b, chromedp.Text(chromedp.CSS("main h1")))
	text := get(b, chromedp.Text(chromedp.CSS("main")))
	if !strings.Contains(h1, wantH1) {
		b.t.Errorf("%s: heading %q, want %q", path, h1, wantH1)
	}
	b.screenshot(name)
	b.axe(name)
	return text
}

func (b *browser) screenshot(name string) {
	b.t.Helper()
	png := get(b, chromedp.FullScreenshot(100))
	b.n++
	file := filepath.Join(b.dir, fmt.Sprintf("%02d-%s.png", b.n, name))
	if err := os.WriteFile(file, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// axe injects axe-core into the page and fails the test on any serious or
// critical violation (WCAG 2.2 A and AA rules and axe's best practices).
func (b *browser) axe(name string) {
	b.t.Helper()
	for _, v := range b.axeRun() {
		if v.Impact == "serious" || v.Impact == "critical" {
			b.t.Errorf("%s: axe %s violation %s (%s) at %v", name, v.Impact, v.ID, v.Help, v.Nodes)
		} else {
			b.t.Logf("%s: axe %s finding %s (%s)", name, v.Impact, v.ID, v.Help)
		}
	}
}

// axeRun injects axe-core into the page and returns its violations.
func (b *browser) axeRun() []axeViolation {
	b.t.Helper()
	if !get(b, chromedp.Evaluate[bool](axeSource+";\ntypeof axe === 'object'")) {
		b.t.Fatal("axe-core did not load")
	}
	vs := get(b, chromedp.Evaluate[[]axeViolation](`axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => ({
		id: v.id, impact: v.impact || '', help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))})))`,
		chromedp.EvalAwaitPromise))
	return vs
}

// TestConsoleInBrowser drives headless Chromium through every page of the
// console as each role, with axe-core checking each, and files a request
// with JavaScript switched off.
//
// The console has no sign-in of its own: the test signs in through
// withTestAuth, a test-only stand-in for web/auth's Authenticate middleware
// that puts the principal of a role in the context.
func TestConsoleInBrowser(t *testing.T) {
	browsertest.Skip(t)
	bd := setup(t, storetest.SQLite())
	ctx := context.Background()
	p := bd.ws.Sandbox.SamplePerson()
	done := bd.file(store.RequestAccess, dsar.Identifiers{Emails: []string{p.Email}}, testNow.AddDate(0, 0, -3))
	bd.verify(done.ID)
	if err := bd.app.DSAR.Run(ctx, done.ID); err != nil {
		t.Fatal(err)
	}
	late := bd.file(store.RequestErasure, dsar.Identifiers{ExternalIDs: []string{`<script>alert(1)</script>`}}, testNow.AddDate(0, 0, -40))
	srv := httptest.NewServer(bd.srv)
	t.Cleanup(srv.Close)
	b := newBrowser(t, srv.URL)

	// Signed out, a page sends the browser to the sign-in page.
	b.do(chromedp.Navigate(srv.URL+"/requests"), chromedp.WaitReady(chromedp.CSS("body")))
	url := get(b, chromedp.Location())
	if !strings.Contains(url, "/auth/signin?next=%2Frequests") {
		t.Fatalf("signed out: at %s", url)
	}

	// axe finds what it must: a page with an unlabelled field and text
	// too faint to read has serious violations.
	b.do(chromedp.Navigate(srv.URL+"/test/inaccessible"), chromedp.WaitReady(chromedp.CSS("body")))
	found := map[string]bool{}
	for _, v := range b.axeRun() {
		if v.Impact == "serious" || v.Impact == "critical" {
			found[v.ID] = true
		}
	}
	if !found["label"] || !found["color-contrast"] {
		t.Fatalf("axe missed the known violations: %v", found)
	}

	b.signIn("admin")
	// Keyboard: the first Tab reaches the skip link, which moves focus to
	// the main content.
	b.do(chromedp.KeyEvent(kb.Tab))
	if focused := get(b, chromedp.Evaluate[string](`document.activeElement.className`)); focused != "skip" {
		t.Errorf("first Tab focuses %q, want the skip link", focused)
	}
	b.do(chromedp.KeyEvent(kb.Enter))
	if focused := get(b, chromedp.Evaluate[string](`document.activeElement.id`)); focused != "main" {
		t.Errorf("the skip link moves focus to %q, want main", focused)
	}
	text := b.visit("dashboard-admin", "/", "Dashboard")
	if !strings.Contains(text, late.ID) {
		t.Error("the dashboard does not list the overdue request")
	}
	b.visit("requests", "/requests", "Requests")
	b.visit("request-new", "/requests/new", "New request")
	text = b.visit("request-admin", "/requests/"+done.ID, "Request "+done.ID)
	if !strings.Contains(strings.ToLower(text), strings.ToLower(p.Email)) {
		t.Error("an administrator does not see the identifiers")
	}
	text = b.visit("request-hostile", "/requests/"+late.ID, "Request "+late.ID)
	if !strings.Contains(text, `<script>alert(1)</script>`) {
		t.Error("the hostile identifier is not shown as text")
	}
	b.visit("audit", "/audit", "Audit trail")
	text = b.visit("audit-verified", "/audit/verify", "Audit trail")
	if !strings.Contains(text, "The audit trail is whole") {
		t.Error("the verification is not shown")
	}
	b.visit("retention", "/retention", "Retention")
	b.visit("metrics", "/reports/requests?year=2026", "Request metrics")
	b.visit("users", "/users", "Users")
	b.visit("not-found", "/requests/req_00000000000000000000000000000000", "Not found")

	b.signIn("auditor")
	text = b.visit("request-auditor", "/requests/"+done.ID, "Request "+done.ID)
	if strings.Contains(strings.ToLower(text), strings.ToLower(p.Email)) || !strings.Contains(text, "request.completed") {
		t.Error("an auditor sees the identifiers, or not the timeline")
	}
	b.visit("forbidden", "/users", "Not allowed")
	b.visit("account-auditor", "/account/password", "Change your password")

	// Live progress: a running request's page updates its steps in place
	// while the agent types a note, which a reload would have lost; it
	// stops once the request is finished, and stays accessible.
	b.signIn("agent")
	running := bd.file(store.RequestAccess, dsar.Identifiers{Emails: []string{p.Email}}, testNow.AddDate(0, 0, -1))
	bd.verify(running.ID)
	b.visit("request-running", "/requests/"+running.ID, "Request "+running.ID)
	b.do(chromedp.WaitVisible(chromedp.CSS("#note-text")), chromedp.SendKeys(chromedp.CSS("#note-text"), "checking the export"))
	if err := bd.app.DSAR.Run(ctx, running.ID); err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.Poll[chromedp.Void](`document.getElementById("progress").dataset.finished === "true"`, chromedp.WithPollingTimeout(30*time.Second)))
	status := get(b, chromedp.Text(chromedp.CSS("#progress")))
	steps := get(b, chromedp.Text(chromedp.CSS("#steps-table tbody")))
	typed := get(b, chromedp.Evaluate[string](`document.getElementById("note-text").value`))
	if !strings.Contains(status, "completed") || strings.Contains(steps, "not started") || !strings.Contains(steps, "done") || typed != "checking the export" {
		t.Errorf("live progress: status %q, steps %q, note %q", status, steps, typed)
	}
	b.screenshot("request-finished-live")
	b.axe("request-finished-live")

	// The core flow works without JavaScript: an agent files a request.
	scripts := func(off bool) {
		if _, err := chromedp.Call(b.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: off}); err != nil {
			t.Fatal(err)
		}
	}
	scripts(true)
	b.do(chromedp.Navigate(srv.URL+"/requests/new"), chromedp.WaitVisible(chromedp.CSS("#n-email")),
		chromedp.SendKeys(chromedp.CSS("#n-email"), "nojs@example.com"),
		chromedp.SendKeys(chromedp.CSS("#n-verified"), "reply from the account address"),
		chromedp.Click(chromedp.CSS(`form.stack button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#summary")))
	h1 := get(b, chromedp.Text(chromedp.CSS("main h1")))
	scripts(false)
	if !strings.HasPrefix(h1, "Request req_") {
		t.Fatalf("filing without JavaScript ends on %q", h1)
	}
	b.screenshot("filed-without-js")
	b.axe("filed-without-js")
	id := strings.TrimPrefix(h1, "Request ")
	r, err := bd.app.DSAR.Get(ctx, id)
	if err != nil || r.State != store.StateVerified {
		t.Fatalf("filed %s: %v %v", id, r.State, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.exceptions {
		t.Errorf("page exception: %s", e)
	}
}
