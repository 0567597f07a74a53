package console

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"
	"github.com/riverqueue/river"

	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/internal/browsertest"
	"github.com/intercom-privacy/intercom-privacy/internal/testwait"
	"github.com/intercom-privacy/intercom-privacy/jobs"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/users"
	"github.com/intercom-privacy/intercom-privacy/users/userstest"
	"github.com/intercom-privacy/intercom-privacy/web/auth"
)

// TestFourEyesErasureInBrowser is issue #13's scenario, in headless Chromium,
// through web/auth's real sign-in (password, then TOTP enrolment at the first
// sign-in) over HTTPS: an administrator adds two privacy officers, an agent
// and an auditor on the users page; the agent files an access request and an
// erasure; the first officer files an erasure of her own and is not offered
// its approval; the second officer approves both erasures; the requests run
// against the sandbox to completion on River's workers;
// the agent cannot download the access package, an officer can; the auditor
// sees the erasure's timeline without identifiers and verifies the audit
// trail. axe-core checks every console page on the way.
func TestFourEyesErasureInBrowser(t *testing.T) {
	browsertest.Skip(t)
	bd := setup(t, storetest.SQLite())
	ctx := context.Background()
	a := bd.app
	a.Users.Params = userstest.FastParams
	ah, err := auth.New(auth.Options{Users: a.Users, Now: a.Settings.Now, Logger: a.Logger})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	ah.Register(mux)
	mux.Handle("/", ah.Authenticate(bd.h.Handler()))
	srv := httptest.NewTLSServer(mux)
	t.Cleanup(srv.Close)
	b := newBrowser(t, srv.URL, chromedp.IgnoreCertErrors)

	// The workers: River on the test's database with the request worker;
	// what the console files or approves is queued on it (app.UseQueue).
	workers := river.NewWorkers()
	dsar.RegisterWorkers(workers, a.DSAR)
	q, err := jobs.Open(ctx, bd.ws.DatabaseURL, jobs.Options{Workers: workers, FetchPollInterval: 50 * time.Millisecond, Logger: a.Logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(q.Close)
	a.UseQueue(q)
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	finished := func(ids ...string) {
		t.Helper()
		testwait.Until(t, "the workers to finish "+strings.Join(ids, ", "), func() bool {
			for _, id := range ids {
				if r, err := a.DSAR.Get(ctx, id); err != nil || !dsar.Finished(r.State) {
					return false
				}
			}
			return true
		})
		for _, id := range ids {
			if r, _ := a.DSAR.Get(ctx, id); r.State != store.StateCompleted {
				t.Fatalf("%s ended %s", id, r.State)
			}
		}
	}

	const adminPassword = "correct horse battery staple 42"
	if _, err := a.Users.Add(ctx, users.AddInput{Email: "admin@example.com", Role: authz.RoleAdmin, Password: adminPassword}); err != nil {
		t.Fatal(err)
	}
	// signIn signs a person in with their password and enrols their second
	// factor (first sign-in), ending on the console's dashboard.
	signIn := func(email, password string) {
		t.Helper()
		b.do(chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#email")),
			chromedp.SendKeys(chromedp.CSS("#email"), email), chromedp.SendKeys(chromedp.CSS("#password"), password),
			chromedp.Click(chromedp.CSS(`form[action="/auth/signin"] button`)), chromedp.WaitVisible(chromedp.CSS("code.key")))
		key := strings.TrimSpace(get(b, chromedp.Text(chromedp.CSS("code.key"))))
		code, err := totp.GenerateCode(key, a.Settings.Now())
		if err != nil {
			t.Fatal(err)
		}
		b.do(chromedp.SendKeys(chromedp.CSS("#code"), code), chromedp.Click(chromedp.CSS(`form[action="/auth/signin/enrol"] button`)),
			chromedp.WaitVisible(chromedp.CSS("ul.codes")), chromedp.Click(chromedp.CSS("a.button")),
			chromedp.WaitVisible(chromedp.CSS("#overdue")))
	}
	signOut := func() {
		t.Helper()
		b.do(chromedp.Click(chromedp.CSS(`.who button`)), chromedp.WaitVisible(chromedp.CSS("#email")))
		if u := get(b, chromedp.Location()); !strings.HasSuffix(u, auth.PathSignIn) {
			t.Fatalf("signed out at %s", u)
		}
	}
	// status fetches path from Go with the browser's session cookie.
	status := func(path string) int {
		t.Helper()
		res, err := chromedp.Call(b.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{srv.URL}})
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		for _, c := range res.Cookies {
			req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
		}
		ans, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		ans.Body.Close()
		return ans.StatusCode
	}
	fileRequest := func(typ, email string) string {
		t.Helper()
		b.do(chromedp.Navigate(srv.URL+"/requests/new"), chromedp.WaitVisible(chromedp.CSS("#n-email")),
			chromedp.SetValue(chromedp.CSS("#n-type"), typ),
			chromedp.SendKeys(chromedp.CSS("#n-email"), email),
			chromedp.SendKeys(chromedp.CSS("#n-verified"), "reply from the account address"),
			chromedp.Click(chromedp.CSS(`form.stack button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS("#summary")))
		return strings.TrimPrefix(get(b, chromedp.Text(chromedp.CSS("main h1"))), "Request ")
	}

	// The administrator adds the team; each password is shown once.
	signIn("admin@example.com", adminPassword)
	passwords := map[string]string{}
	for _, u := range []struct{ email, role string }{
		{"po1@example.com", "privacy_officer"}, {"po2@example.com", "privacy_officer"},
		{"agent@example.com", "agent"}, {"auditor@example.com", "auditor"},
	} {
		b.do(chromedp.Navigate(srv.URL+"/users"), chromedp.WaitVisible(chromedp.CSS("#u-email")),
			chromedp.SendKeys(chromedp.CSS("#u-email"), u.email), chromedp.SetValue(chromedp.CSS("#u-role"), u.role),
			chromedp.Click(chromedp.CSS(`form[action="/users"] button`)), chromedp.WaitVisible(chromedp.CSS("#new-password")))
		passwords[u.email] = strings.TrimSpace(get(b, chromedp.Text(chromedp.CSS("#new-password"))))
	}
	b.screenshot("users-added")
	b.axe("users-added")
	signOut()

	// The agent files an access request and an erasure of the same person.
	p := bd.ws.Sandbox.SamplePerson()
	signIn("agent@example.com", passwords["agent@example.com"])
	access := fileRequest("access", p.Email)
	erasure := fileRequest("erasure", p.ExternalID+"@other.example")
	text := get(b, chromedp.Text(chromedp.CSS("main")))
	if !strings.Contains(text, "waits for a privacy officer") || strings.Contains(text, "Approve the erasure") {
		t.Fatalf("the agent's erasure page: %.400s", text)
	}
	b.screenshot("erasure-filed")
	b.axe("erasure-filed")
	// The workers run the access request (no approval needed); the agent
	// cannot download its package.
	finished(access)
	text = b.visit("access-agent", "/requests/"+access, "Request "+access)
	if strings.Contains(text, "Download the package") || !strings.Contains(text, "Your role may not download packages") {
		t.Errorf("the agent is offered the package")
	}
	if code := status("/requests/" + access + "/package"); code != http.StatusForbidden {
		t.Errorf("the agent downloads the package: %d", code)
	}
	signOut()

	// The first officer files an erasure of her own: she is not offered its
	// approval (and the workflow would refuse it).
	signIn("po1@example.com", passwords["po1@example.com"])
	own := fileRequest("erasure", p.Email)
	text = get(b, chromedp.Text(chromedp.CSS("main")))
	if !strings.Contains(text, "You filed it") || strings.Contains(text, "Approve the erasure") {
		t.Fatalf("the filer's page: %.400s", text)
	}
	b.screenshot("own-erasure")
	signOut()

	// The second officer downloads the access package and approves both
	// erasures.
	signIn("po2@example.com", passwords["po2@example.com"])
	if code := status("/requests/" + access + "/package"); code != http.StatusOK {
		t.Errorf("an officer downloads the package: %d", code)
	}
	for _, id := range []string{erasure, own} {
		b.do(chromedp.Navigate(srv.URL+"/requests/"+id), chromedp.WaitVisible(chromedp.CSS(`form[action$="/approve"] button`)))
		b.axe("approve")
		b.do(chromedp.Click(chromedp.CSS(`form[action$="/approve"] button`)), chromedp.WaitVisible(chromedp.CSS("p.done")))
	}
	// The workers run the approved erasures against the sandbox to
	// completion.
	finished(erasure, own)
	text = b.visit("erasure-done", "/requests/"+own, "Request "+own)
	if !regexp.MustCompile(`Verification evidence \(SHA-256\)\s*[0-9a-f]{64}`).MatchString(text) {
		t.Errorf("no erasure evidence: %.600s", text)
	}
	signOut()

	// The auditor sees the timeline without identifiers, and verifies the
	// audit trail.
	signIn("auditor@example.com", passwords["auditor@example.com"])
	text = b.visit("erasure-auditor", "/requests/"+erasure, "Request "+erasure)
	if strings.Contains(strings.ToLower(text), strings.ToLower(p.ExternalID+"@other.example")) || !strings.Contains(text, "request.approved") ||
		!strings.Contains(text, "Your role does not see the identifiers") {
		t.Errorf("the auditor's request page: %.600s", text)
	}
	text = b.visit("audit-auditor", "/audit/verify", "Audit trail")
	if !strings.Contains(text, "The audit trail is whole") {
		t.Errorf("verification: %.400s", text)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.exceptions {
		t.Errorf("page exception: %s", e)
	}
}
