package intake_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

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

// A person in a real browser (headless Chromium): fills the form without
// JavaScript, receives the mail, follows the link and confirms. The page logs
// no error (a Content-Security-Policy violation would be one).
func TestFormInBrowser(t *testing.T) {
	bin := chromiumPath()
	if bin == "" {
		t.Skip("no Chromium binary found (install Debian's chromium, or set CHROMIUM=/path/to/chrome); the browser test is skipped")
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	e := setup(t, storetest.SQLite())
	p := e.ws.Sandbox.SamplePerson()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(390, 844), // a phone's viewport
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	defer cancelTimeout()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("chromium does not start: %v", err)
	}
	var mu sync.Mutex
	var problems []string
	if err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			problems = append(problems, "exception")
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError {
				problems = append(problems, "console error")
			}
		case *log.EventEntryAdded:
			if e.Entry.Level == log.EntryLevelError {
				problems = append(problems, "log error: "+e.Entry.Text)
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	err := chromedp.Do(ctx,
		chromedp.Navigate(e.srv.URL+"/privacy/request"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.Click(chromedp.ID("type-access")),
		chromedp.SendKeys(chromedp.ID("email"), p.Email),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.ID("code")),
	)
	if err != nil {
		t.Fatal(err)
	}
	heading, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
	if err != nil {
		t.Fatal(err)
	}
	minHeight, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('button')).minHeight`))
	if err != nil {
		t.Fatal(err)
	}
	if heading != "Check your e-mail" || minHeight != "44px" {
		t.Fatalf("after the form: %q (button min-height %q: did the stylesheet load?)", heading, minHeight)
	}
	path, _ := e.verificationMail(t, 1)
	err = chromedp.Do(ctx,
		chromedp.Navigate(e.srv.URL+path),
		chromedp.WaitVisible(chromedp.CSS("main form button")),
		chromedp.Click(chromedp.CSS("main form button")),
		chromedp.WaitNotPresent(chromedp.CSS("main form")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if heading, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main h1"))); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(heading, "your request is confirmed") || len(e.filed) != 1 {
		t.Fatalf("after the link: %q, %d filed", heading, len(e.filed))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(problems) > 0 {
		t.Fatalf("the pages logged: %v", problems)
	}
}
