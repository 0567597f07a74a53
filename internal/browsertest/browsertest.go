// Package browsertest starts the headless Chromium the project's browser tests
// drive with chromedp: Debian's chromium in CI (.ci/run installs it), any
// Chromium or Chrome elsewhere. A test without one, or run with -short, is
// skipped with a sentence saying why; the browser gets a profile of the test's
// own and ends with the test.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Path returns the browser to run: $CHROMIUM when set, else the first of
// chromium, chromium-browser, google-chrome and google-chrome-stable on PATH;
// "" when there is none.
func Path() string {
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

// Options shape the browser. Zero values take the defaults.
type Options struct {
	// Width and Height are the window's size (1280x1000 when zero).
	Width, Height int
	// Timeout bounds everything the test does in the browser (5 minutes
	// when zero): a page that never loads fails the test rather than
	// hanging it.
	Timeout time.Duration
	// Extra are further allocator options (a flag that turns JavaScript
	// off, ...).
	Extra []chromedp.ExecAllocatorOption
}

// Skip skips t when there is no browser or the tests run with -short.
func Skip(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	if Path() == "" {
		t.Skip("no Chromium binary found (Debian: apt-get install chromium, which .ci/run does; or set CHROMIUM=/path/to/chrome): the browser test is skipped")
	}
}

// Start skips t as Skip does, or starts a headless browser and returns its
// context; the browser is stopped when the test ends.
func Start(t testing.TB, o Options) context.Context {
	t.Helper()
	Skip(t)
	if o.Width == 0 || o.Height == 0 {
		o.Width, o.Height = 1280, 1000
	}
	if o.Timeout == 0 {
		o.Timeout = 5 * time.Minute
	}
	opts := append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(Path()), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-extensions", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(o.Width, o.Height),
	}, o.Extra...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, o.Timeout)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("chromium does not start: %v", err)
	}
	return ctx
}

// Problems records what the pages in ctx report as going wrong: uncaught
// exceptions, console errors and error-level log entries (a Content-Security-
// Policy violation is one), except those ignore says are expected (it gets the
// entry's text and URL; nil ignores nothing). The returned function lists them
// so far.
func Problems(t testing.TB, ctx context.Context, ignore func(text, url string) bool) func() []string {
	t.Helper()
	var mu sync.Mutex
	var problems []string
	add := func(p, text, url string) {
		if ignore != nil && ignore(text, url) {
			return
		}
		mu.Lock()
		problems = append(problems, p)
		mu.Unlock()
	}
	if err := chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			add("exception: "+e.ExceptionDetails.Text, e.ExceptionDetails.Text, e.ExceptionDetails.URL)
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError {
				add("console error", "", "")
			}
		case *log.EventEntryAdded:
			if e.Entry.Level == log.EntryLevelError {
				add("log error: "+e.Entry.Text, e.Entry.Text, e.Entry.URL)
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(problems)
	}
}
