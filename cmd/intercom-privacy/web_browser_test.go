package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"github.com/intercom-privacy/intercom-privacy/internal/testwait"
	"github.com/intercom-privacy/intercom-privacy/server"
)

// TestConsoleSignInInBrowser runs serve behind an HTTPS proxy (as in
// production, TLS ends before serve) and drives headless Chromium: the
// first admin (from `users add`) signs in on web/auth's pages and enrols,
// adds an agent on the console's users page, signs out; the agent signs in
// with the one-time password, enrols, reaches the dashboard and is refused
// the users page. No page of either surface reports a browser error (a CSP
// violation would be one).
func TestConsoleSignInInBrowser(t *testing.T) {
	bin := os.Getenv("CHROMIUM")
	if bin == "" {
		bin, _ = exec.LookPath("chromium")
	}
	if bin == "" {
		t.Skip("no Chromium binary found (install Debian's chromium, or set CHROMIUM); the browser test is skipped")
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	serveEnv(t)
	t.Setenv(server.EnvClientSecret, "s")
	const adminPW = "the first admin's passphrase"
	if _, _, err := usersCLI(t, adminPW+"\n", "users", "add", "--email", "admin@example.com", "--role", "admin", "--password-stdin"); err != nil {
		t.Fatal(err)
	}
	root := newRootCmd()
	errb := &syncBuffer{}
	root.SetOut(errb)
	root.SetErr(errb)
	root.SetArgs([]string{"serve", "--addr", "127.0.0.1:0", "--no-workers", "--stop-timeout", "10s"})
	sctx, stop := context.WithCancel(context.Background())
	done, ended := make(chan error, 1), make(chan struct{})
	go func() { done <- root.ExecuteContext(sctx); close(ended) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	base := errb.waitMatch(t, regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`), ended, errb)[1]
	testwait.Until(t, "the web surfaces to be built", func() bool {
		res, err := http.Get(base + "/auth/signin")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
	target, _ := url.Parse(base)
	proxy := httptest.NewTLSServer(httputil.NewSingleHostReverseProxy(target))
	defer proxy.Close()

	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.IgnoreCertErrors, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-extensions", true), chromedp.WindowSize(1000, 900))
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
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
			if e.Entry.Level == log.EntryLevelError && !strings.HasSuffix(e.Entry.URL, "/favicon.ico") &&
				!strings.Contains(e.Entry.Text, "status of 403") {
				problems = append(problems, "log error: "+e.Entry.Text)
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v\n%s", what, err, errb.String())
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}
	// signIn signs in with email and password from the console's front page,
	// enrolling the second factor, and continues to the dashboard.
	signIn := func(email, password string) {
		t.Helper()
		step("the console sends a signed-out browser to sign in",
			chromedp.Navigate(proxy.URL+"/"),
			chromedp.WaitVisible(chromedp.CSS("#email")))
		step("password",
			chromedp.SendKeys(chromedp.CSS("#email"), email),
			chromedp.SendKeys(chromedp.CSS("#password"), password),
			chromedp.Click(chromedp.CSS(`form[action="/auth/signin"] button`)),
			chromedp.WaitVisible(chromedp.CSS("code.key")))
		code, err := totp.GenerateCode(text("code.key"), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		step("enrolment",
			chromedp.SendKeys(chromedp.CSS("#code"), code),
			chromedp.Click(chromedp.CSS(`form[action="/auth/signin/enrol"] button`)),
			chromedp.WaitVisible(chromedp.CSS("ul.codes")),
			chromedp.Click(chromedp.CSS("a.button")),
			chromedp.WaitVisible(chromedp.CSS(`form[action="/auth/signout"] button`)))
	}

	signIn("admin@example.com", adminPW)
	step("the admin adds an agent",
		chromedp.Navigate(proxy.URL+"/users"),
		chromedp.WaitVisible(chromedp.CSS("#u-email")),
		chromedp.SendKeys(chromedp.CSS("#u-email"), "agent@example.com"),
		chromedp.SetValue(chromedp.CSS("#u-role"), "agent"),
		chromedp.Click(chromedp.CSS(`form[action="/users"] button`)),
		chromedp.WaitVisible(chromedp.CSS("p.secret")))
	setup := text("p.secret")
	if len(setup) != 24 {
		t.Fatalf("one-time password %d characters", len(setup))
	}
	step("the admin signs out",
		chromedp.Click(chromedp.CSS(`form[action="/auth/signout"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#email")))

	signIn("agent@example.com", setup)
	step("the agent is refused the users page",
		chromedp.Navigate(proxy.URL+"/users"),
		chromedp.WaitReady(chromedp.CSS("h1")))
	if h := text("h1"); strings.Contains(h, "Users") {
		t.Fatalf("an agent sees the users page (%q)", h)
	}
	out, _, err := usersCLI(t, "", "users", "list")
	if err != nil || strings.Count(out, "enrolled") != 2 {
		t.Fatalf("users list after both sign-ins:\n%s %v", out, err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Errorf("browser reported: %s", p)
	}
}
