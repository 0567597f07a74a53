package auth_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/internal/browsertest"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/users"
	"github.com/intercom-privacy/intercom-privacy/web/auth"
)

// TestSignInInBrowser signs a person in with headless Chromium: password,
// enrolment (the key read from the page, the code typed), the recovery
// codes, then the page asked for, signed in. The browser keeps the __Host-
// cookie over HTTPS, and reports no error (a CSP violation would be one).
// AUTH_SCREENSHOTS=DIR keeps a screenshot of each page.
func TestSignInInBrowser(t *testing.T) {
	browsertest.Skip(t)
	b := setup(t, storetest.SQLite(), auth.Options{AfterSignIn: "/whoami"})
	if _, err := b.env.Service.Add(context.Background(), users.AddInput{Email: "agnes@example.com", Role: authz.RoleAgent, Password: pw}); err != nil {
		t.Fatal(err)
	}
	ctx := browsertest.Start(t, browsertest.Options{Width: 900, Height: 900,
		Extra: []chromedp.ExecAllocatorOption{chromedp.IgnoreCertErrors}})
	problems := browsertest.Problems(t, ctx, func(_, url string) bool { return strings.HasSuffix(url, "/favicon.ico") })
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
	for _, p := range problems() {
		t.Errorf("browser reported: %s", p)
	}
}
