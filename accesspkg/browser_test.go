package accesspkg

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromiumPath finds a Chromium or Chrome binary ("" when none is installed).
func chromiumPath() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browserPackage is samplePackage with a shared thread, as the access workflow
// writes it: another customer's message kept with its author hidden and their data
// redacted.
func browserPackage() *Package {
	p := samplePackage()
	c := &p.Contacts[0]
	t0 := p.ReceivedAt.Add(-48 * time.Hour)
	c.Conversations = append(c.Conversations, Conversation{
		ID: "c2", Title: "Delivery address", CreatedAt: t0, PartsTotal: 3, PartsIncluded: 3,
		Messages: []Message{
			{ID: "m3", Author: "You", AuthorRole: "subject", CreatedAt: t0, Body: "<p>Please deliver to my office.</p>", Text: "Please deliver to my office.", ProvidedBySubject: true},
			{ID: "m4", Author: "Another person", AuthorRole: "other", CreatedAt: t0.Add(time.Hour), Body: "<p>I am [NAME], reach me at [EMAIL].</p>", Text: "I am [NAME], reach me at [EMAIL]."},
			{ID: "m5", Author: "Sam (support team)", AuthorRole: "teammate", CreatedAt: t0.Add(2 * time.Hour), Body: "<p>Done, the parcel leaves today.</p>", Text: "Done, the parcel leaves today."},
		},
	})
	p.Notices = append(p.Notices, Notice{Code: "third_party_redacted", Text: "To protect other people, their personal data has been replaced by a label such as [EMAIL]."})
	return p
}

// TestReportInBrowser renders report.html in headless Chromium and checks that it
// makes no request besides the page itself, shows the person's name and their
// messages, and logs no error. Set REPORT_SCREENSHOT=/path.png to keep a
// screenshot.
func TestReportInBrowser(t *testing.T) {
	bin := chromiumPath()
	if bin == "" {
		t.Skip("no Chromium binary found (install Debian's chromium, or set CHROMIUM=/path/to/chrome); the browser test is skipped")
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	report, err := renderReport(browserPackage())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/report.html" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(report)
	}))
	defer srv.Close()
	pageURL := srv.URL + "/report.html"

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1100, 1400),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	defer cancelTimeout()

	// Open the tab first, so that the listener sees every event of the page.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("chromium does not start: %v", err)
	}
	var mu sync.Mutex
	var requests, problems []string
	err = chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			requests = append(requests, e.Request.URL)
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning || e.Type == runtime.ConsoleAPICalledTypeAssert {
				problems = append(problems, "console "+string(e.Type))
			}
		case *runtime.EventExceptionThrown:
			problems = append(problems, "exception: "+e.ExceptionDetails.Text)
		case *log.EventEntryAdded:
			if e.Entry.Level == log.EntryLevelError || e.Entry.Level == log.EntryLevelWarning {
				problems = append(problems, "log "+string(e.Entry.Level)+": "+e.Entry.Text)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate(pageURL),
		chromedp.WaitReady(chromedp.CSS("body")),
		chromedp.Sleep(300*time.Millisecond), // let any late request show up
	)
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
	if err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, u := range requests {
		if u != pageURL {
			t.Errorf("the report made a request besides itself: %q", u)
		}
	}
	if len(requests) == 0 {
		t.Error("no network event seen at all: the listener does not work")
	}
	for _, p := range problems {
		t.Errorf("browser reported: %s", p)
	}
	for _, want := range []string{"Ada Lovelace", "Please deliver to my office.", "Another person", "Sam (support team)", "[EMAIL]",
		"Intercom lists activity events of the last 90 days only."} {
		if !strings.Contains(text, want) {
			t.Errorf("rendered text lacks %q", want)
		}
	}
	if strings.Contains(text, "alert(1)") && !strings.Contains(text, "<script>alert(1)</script>") {
		t.Error("script text was interpreted")
	}
	if len(shot) < 1000 {
		t.Errorf("screenshot of %d bytes", len(shot))
	}
	if path := os.Getenv("REPORT_SCREENSHOT"); path != "" {
		if err := os.WriteFile(path, shot, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
