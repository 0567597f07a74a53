package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"github.com/intercom-privacy/intercom-privacy/internal/browsertest"
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
	browsertest.Skip(t)
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

	ctx := browsertest.Start(t, browsertest.Options{Width: 1000, Height: 900,
		Extra: []chromedp.ExecAllocatorOption{chromedp.IgnoreCertErrors}})
	problems := browsertest.Problems(t, ctx, func(text, url string) bool {
		// The browser's favicon request, and the 403 of the users page the agent is refused.
		return strings.HasSuffix(url, "/favicon.ico") || strings.Contains(text, "status of 403")
	})
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
	for _, p := range problems() {
		t.Errorf("browser reported: %s", p)
	}
}
