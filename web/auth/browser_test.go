package auth_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/users"
	"github.com/intercom-privacy/intercom-privacy/web/auth"
)

func chromium() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// TestSignInInBrowser signs a person in with headless Chromium: password,
// enrolment (the key read from the page, the code typed), the recovery
// codes, then the page asked for, signed in. The browser keeps the __Host-
// cookie over HTTPS, and reports no error (a CSP violation would be one).
// AUTH_SCREENSHOTS=DIR keeps a screenshot of each page.
func TestSignInInBrowser(t *testing.T) {
	bin := chromium()
	if bin == "" {
		t.Skip("no Chromium binary found (install Debian's chromium, or set CHROMIUM); the browser test is skipped")
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	b := setup(t, storetest.SQLite(), auth.Options{AfterSignIn: "/whoami"})
	if _, err := b.env.Service.Add(context.Background(), users.AddInput{Email: "agnes@example.com", Role: authz.RoleAgent, Password: pw}); err != nil {
		t.Fatal(err)
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.IgnoreCertErrors, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-extensions", true), chromedp.WindowSize(900, 900))
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
			problems = append(problems, "exception: "+e.ExceptionDetails.Text)
		case *log.EventEntryAdded:
			// The browser's own favicon request is not the pages' doing.
			if e.Entry.Level == log.EntryLevelError && !strings.HasSuffix(e.Entry.URL, "/favicon.ico") {
				problems = append(problems, "log error: "+e.Entry.Text)
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	shot := func(name string) {
		dir := os.Getenv("AUTH_SCREENSHOTS")
		if dir == "" {
			return
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	step("sign-in page",
		chromedp.Navigate(b.srv.URL+auth.PathSignIn+"?next=/whoami"),
		chromedp.WaitVisible(chromedp.CSS("#email")))
	shot("signin")
	step("password",
		chromedp.SendKeys(chromedp.CSS("#email"), "agnes@example.com"),
		chromedp.SendKeys(chromedp.CSS("#password"), pw),
		chromedp.Click(chromedp.CSS(`form[action="/auth/signin"] button`)),
		chromedp.WaitVisible(chromedp.CSS("code.key")))
	shot("enrol")
	key, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("code.key")))
	if err != nil {
		t.Fatal(err)
	}
	step("first code",
		chromedp.SendKeys(chromedp.CSS("#code"), b.env.Code(t, strings.TrimSpace(key))),
		chromedp.Click(chromedp.CSS(`form[action="/auth/signin/enrol"] button`)),
		chromedp.WaitVisible(chromedp.CSS("ul.codes")))
	shot("recovery")
	codes, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("ul.codes")))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(strings.Fields(codes)); n != users.RecoveryCodes {
		t.Fatalf("%d recovery codes shown", n)
	}
	step("continue",
		chromedp.Click(chromedp.CSS("a.button")),
		chromedp.WaitReady(chromedp.CSS("body")))
	body, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(strings.TrimSpace(body), " agent session") {
		t.Fatalf("after sign-in the browser sees %q", body)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Errorf("browser reported: %s", p)
	}
}
