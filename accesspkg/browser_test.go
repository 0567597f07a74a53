package accesspkg

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/intercom-privacy/intercom-privacy/internal/browsertest"
)

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
	browsertest.Skip(t)
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

	// The tab is open before the listener starts, so it sees every event of
	// the page.
	ctx := browsertest.Start(t, browsertest.Options{Width: 1100, Height: 1400,
		Extra: []chromedp.ExecAllocatorOption{chromedp.Flag("disable-quic", true)}})
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
