package intake_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/accesspkg"
	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/app/apptest"
	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/mail/mailtest"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/web/intake"
)

type env struct {
	a     *app.App
	ws    *apptest.Workspace
	smtp  *mailtest.Server
	h     http.Handler
	srv   *httptest.Server
	clock atomic.Int64
	filed []store.Request
}

func (e *env) now() time.Time          { return time.UnixMicro(e.clock.Load()).UTC() }
func (e *env) advance(d time.Duration) { e.clock.Add(d.Microseconds()) }

func setup(t *testing.T, b storetest.Backend) *env {
	t.Helper()
	return setupWith(t, b, nil)
}

func setupWith(t *testing.T, b storetest.Backend, tweak func(*config.Intake)) *env {
	t.Helper()
	e := &env{smtp: mailtest.Start(t, mailtest.Options{})}
	e.clock.Store(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC).UnixMicro())
	cfg := apptest.Config()
	if tweak != nil {
		tweak(&cfg.Intake)
	}
	e.ws = apptest.New(t, b, apptest.Options{SMTPURL: e.smtp.URL("privacy@example-trading.test"), Now: e.now,
		PublicURL: "https://privacy.example-trading.test", Config: cfg})
	e.a = e.ws.Open("server")
	h, err := intake.New(intake.Options{Store: e.a.Store, Vault: e.a.Vault, DSAR: e.a.DSAR, Outbox: e.a.Outbox,
		Templates: e.a.Messages.Templates, Config: e.a.Config, PublicURL: e.a.PublicURL, Now: e.now,
		Filed: func(_ context.Context, r store.Request) { e.filed = append(e.filed, r) }})
	if err != nil {
		t.Fatal(err)
	}
	e.h = h.Handler()
	e.srv = httptest.NewServer(e.h)
	t.Cleanup(e.srv.Close)
	return e
}

// do sends a request straight to the handler from a network address.
func (e *env) do(method, path, remote string, form url.Values, hdr map[string]string) *httptest.ResponseRecorder {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequest(method, "http://privacy.example-trading.test"+path, body)
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	r.RemoteAddr = remote + ":40000"
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

func (e *env) post(remote string, f url.Values) *httptest.ResponseRecorder {
	return e.do("POST", intake.PathRequest, remote, f, nil)
}

func formFor(email string) url.Values {
	return url.Values{"type": {"access"}, "email": {email}, "jurisdiction": {"gdpr"}}
}

var linkRE = regexp.MustCompile(`https://privacy\.example-trading\.test(/privacy/verify/[A-Za-z0-9_-]{43})`)
var codeRE = regexp.MustCompile(`enter this code on the page where you made the request: ([0-9]{6})`)

func (e *env) verificationMail(t *testing.T, n int) (path, code string) {
	t.Helper()
	if _, err := e.a.Mail.SendDue(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	m := e.smtp.Wait(t, n)[n-1]
	lm, cm := linkRE.FindStringSubmatch(m.Text), codeRE.FindStringSubmatch(m.Text)
	if lm == nil || cm == nil {
		t.Fatalf("no link or code in:\n%s", m.Text)
	}
	return lm[1], cm[1]
}

func TestFormLinkFilesAVerifiedRequest(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			e := setup(t, b)
			ctx := context.Background()
			w := e.do("GET", intake.PathRequest, "10.0.0.1", nil, nil)
			if w.Code != 200 || !strings.Contains(w.Body.String(), `name="email"`) || !strings.Contains(w.Header().Get("Content-Security-Policy"), "frame-ancestors 'none'") ||
				w.Header().Get("Referrer-Policy") != "no-referrer" || strings.Contains(w.Body.String(), "<script") {
				t.Fatalf("form: %d %v", w.Code, w.Header())
			}
			p := e.ws.Sandbox.SamplePerson()
			received := e.now()
			if w := e.post("10.0.0.1", formFor(p.Email)); w.Code != 200 || !strings.Contains(w.Body.String(), "Check your e-mail") {
				t.Fatalf("submit: %d %s", w.Code, w.Body)
			}
			path, _ := e.verificationMail(t, 1)
			if e.smtp.Messages()[0].To[0] != p.Email {
				t.Fatal("verification went elsewhere")
			}
			e.advance(time.Hour)
			// Opening the link (a mail scanner does) confirms nothing.
			if w := e.do("GET", path, "10.0.0.2", nil, nil); w.Code != 200 || !strings.Contains(w.Body.String(), `action="`+path+`"`) {
				t.Fatalf("confirm page: %d %s", w.Code, w.Body)
			}
			if len(e.filed) != 0 {
				t.Fatal("a GET filed the request")
			}
			if w := e.do("POST", path, "10.0.0.2", url.Values{}, nil); w.Code != 200 || !strings.Contains(w.Body.String(), "your request is confirmed") {
				t.Fatalf("verify: %d %s", w.Code, w.Body)
			}
			if len(e.filed) != 1 {
				t.Fatalf("filed %d", len(e.filed))
			}
			r, err := e.a.Store.GetRequest(ctx, e.filed[0].ID)
			if err != nil || r.State != store.StateVerified || r.Channel != "web_form" || !r.ReceivedAt.Equal(received) || r.AcknowledgedAt.IsZero() ||
				r.VerificationLevel != store.VerificationLow {
				t.Fatalf("request: %+v, %v", r, err)
			}
			// The link is single use.
			if w := e.do("POST", path, "10.0.0.2", url.Values{}, nil); w.Code != 404 {
				t.Fatalf("second use: %d", w.Code)
			}
			// The evidence is in the audit trail; the code and token are not.
			found := false
			for sr, err := range e.a.Store.Records(ctx, 1) {
				if err != nil {
					t.Fatal(err)
				}
				rec, _ := audit.DecodeBody(sr.Body)
				if rec.RequestID == r.ID && rec.Action == audit.ActionRequestVerified && strings.Contains(rec.Reason, "e-mail link (web form)") {
					found = true
				}
				if strings.Contains(string(sr.Body), path[len(intake.PathVerify)+1:]) {
					t.Fatal("the token is in the audit trail")
				}
			}
			if !found {
				t.Fatal("no verification evidence in the audit trail")
			}
			// The acknowledgement follows.
			if _, err := e.a.Mail.SendDue(ctx, 0); err != nil {
				t.Fatal(err)
			}
			if got := e.smtp.Wait(t, 2); !strings.Contains(got[1].Header.Get("Subject"), r.ID) {
				t.Fatalf("acknowledgement: %v", got[1].Header)
			}
		})
	}
}

func TestCodeInTheSameBrowser(t *testing.T) {
	e := setup(t, storetest.SQLite())
	client := e.srv.Client()
	jar := newJar()
	client.Jar = jar
	resp, err := client.PostForm(e.srv.URL+intake.PathRequest, formFor("someone@example.org"))
	if err != nil || resp.StatusCode != 200 {
		t.Fatal(resp.StatusCode, err)
	}
	resp.Body.Close()
	_, code := e.verificationMail(t, 1)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	for i := range 4 {
		resp, err := client.PostForm(e.srv.URL+intake.PathVerify, url.Values{"code": {wrong}})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 422 || !strings.Contains(string(body), fmt.Sprintf("%d tries left", 4-i)) {
			t.Fatalf("wrong code %d: %d %s", i, resp.StatusCode, body)
		}
	}
	resp, err = client.PostForm(e.srv.URL+intake.PathVerify, url.Values{"code": {code[:3] + " " + code[3:]}})
	if err != nil || resp.StatusCode != 200 {
		t.Fatal(resp.StatusCode, err)
	}
	resp.Body.Close()
	if len(e.filed) != 1 || e.filed[0].State != store.StateVerified {
		t.Fatalf("filed: %+v", e.filed)
	}
	// Without the cookie the code is refused.
	plain := &http.Client{}
	resp, _ = plain.PostForm(e.srv.URL+intake.PathVerify, url.Values{"code": {code}})
	if resp.StatusCode != 400 {
		t.Fatalf("without the cookie: %d", resp.StatusCode)
	}
	resp.Body.Close()
}

func TestTooManyWrongCodesCancel(t *testing.T) {
	e := setup(t, storetest.SQLite())
	client := e.srv.Client()
	client.Jar = newJar()
	resp, _ := client.PostForm(e.srv.URL+intake.PathRequest, formFor("someone@example.org"))
	resp.Body.Close()
	path, code := e.verificationMail(t, 1)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	for range 5 {
		resp, _ := client.PostForm(e.srv.URL+intake.PathVerify, url.Values{"code": {wrong}})
		resp.Body.Close()
	}
	// Now neither the right code nor the link works.
	resp, _ = client.PostForm(e.srv.URL+intake.PathVerify, url.Values{"code": {code}})
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("right code after the limit: %d", resp.StatusCode)
	}
	if w := e.do("POST", path, "10.0.0.9", url.Values{}, nil); w.Code != 404 || len(e.filed) != 0 {
		t.Fatalf("link after the limit: %d", w.Code)
	}
}

func TestLinksExpireAndForgeriesFail(t *testing.T) {
	e := setup(t, storetest.SQLite())
	e.post("10.0.0.1", formFor("someone@example.org"))
	path, _ := e.verificationMail(t, 1)
	e.advance(24*time.Hour + time.Second)
	if w := e.do("POST", path, "10.0.0.2", url.Values{}, nil); w.Code != 404 {
		t.Fatalf("expired link: %d", w.Code)
	}
	if n, err := intake.Expire(context.Background(), e.a.Store, e.a.Vault, e.now()); err != nil || n != 1 {
		t.Fatalf("expire: %d %v", n, err)
	}
	for _, p := range []string{"/privacy/verify/" + intake.NewToken(), "/privacy/verify/short", "/privacy/verify/" + strings.Repeat("%00", 43)} {
		if w := e.do("GET", p, "10.0.0.3", nil, nil); w.Code != 404 {
			t.Fatalf("%s: %d", p, w.Code)
		}
	}
	// Guessing is throttled per network address.
	codes := []int{}
	for range 40 {
		codes = append(codes, e.do("GET", "/privacy/verify/"+intake.NewToken(), "10.0.0.4", nil, nil).Code)
	}
	if !slices.Contains(codes, 429) || codes[0] != 404 {
		t.Fatalf("no throttling: %v", codes)
	}
}

func TestAttacksOnTheForm(t *testing.T) {
	e := setup(t, storetest.SQLite())
	// From another site.
	if w := e.do("POST", intake.PathRequest, "10.0.1.1", formFor("a@example.org"), map[string]string{"Sec-Fetch-Site": "cross-site"}); w.Code != 403 {
		t.Fatalf("cross-site: %d", w.Code)
	}
	if w := e.do("POST", intake.PathRequest, "10.0.1.1", formFor("a@example.org"), map[string]string{"Origin": "https://evil.example"}); w.Code != 403 {
		t.Fatalf("cross-origin: %d", w.Code)
	}
	// 10 MB where a form belongs.
	big := url.Values{"type": {"access"}, "email": {"a@example.org"}, "letter": {strings.Repeat("x", 10<<20)}}
	if w := e.do("POST", intake.PathRequest, "10.0.1.2", big, nil); w.Code != 413 {
		t.Fatalf("oversized: %d", w.Code)
	}
	// Not an e-mail; HTML in every field comes back escaped.
	evil := `"><script>alert(1)</script>`
	w := e.post("10.0.1.3", url.Values{"type": {evil}, "email": {"not-an-email" + evil}, "phone": {evil}, "jurisdiction": {evil}})
	body := w.Body.String()
	if w.Code != 422 || strings.Contains(body, "<script>alert") || !strings.Contains(body, "&lt;script&gt;") || !strings.Contains(body, "like name@example.com") {
		t.Fatalf("invalid input: %d %s", w.Code, body)
	}
	// The honeypot: the same page as anyone, and nothing written or sent.
	hp := formFor("robot@example.org")
	hp.Set("website", "https://spam.example")
	if w := e.post("10.0.1.4", hp); w.Code != 200 || !strings.Contains(w.Body.String(), "Check your e-mail") {
		t.Fatalf("honeypot: %d", w.Code)
	}
	if n, _, _ := e.a.Store.CountIntakes(context.Background(), e.now(), ""); n != 0 {
		t.Fatalf("the honeypot wrote %d intakes", n)
	}
	// One address gets at most 3 verification mails while they wait.
	for range 5 {
		if w := e.post("10.0.1.5", formFor("victim@example.org")); w.Code != 200 {
			t.Fatalf("per email: %d", w.Code)
		}
	}
	if _, err := e.a.Mail.SendDue(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	if n := len(e.smtp.Messages()); n != 3 {
		t.Fatalf("%d mails to one address", n)
	}
	// One network address may post 10 forms an hour.
	codes := []int{}
	for i := range 12 {
		codes = append(codes, e.post("10.0.1.6", formFor(fmt.Sprintf("p%d@example.org", i))).Code)
	}
	if codes[9] != 200 || codes[10] != 429 {
		t.Fatalf("per address: %v", codes)
	}
}

// The page cannot tell whether an address belongs to a customer: status and
// body are the same, and the time taken is statistically the same (the
// medians of 1,000 posts each, interleaved, within a factor of 2 of each
// other: a bound on the ratio, not on the time).
func TestAnswerDoesNotTellWhoIsACustomer(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 posts each")
	}
	// Every post writes its intake and message (no per-address silencing),
	// so both sides do the whole work.
	e := setupWith(t, storetest.SQLite(), func(c *config.Intake) { c.PerEmail, c.MaxPending = 1_000_000, 1_000_000 })
	known := []string{}
	for _, c := range e.ws.Sandbox.Workspace().Contacts() {
		if c.Email != "" && len(known) < 40 {
			known = append(known, c.Email)
		}
	}
	if len(known) < 10 {
		t.Fatalf("only %d known addresses", len(known))
	}
	var tk, tu []time.Duration
	var bodyK, bodyU string
	for i := range 1000 {
		for _, k := range []bool{true, false} {
			email := fmt.Sprintf("nobody%d@unknown.example", i%len(known))
			if k {
				email = known[i%len(known)]
			}
			start := time.Now()
			w := e.post(fmt.Sprintf("10.1.%d.%d", i/250, i%250), formFor(email))
			d := time.Since(start)
			if w.Code != 200 {
				t.Fatalf("post %d: %d", i, w.Code)
			}
			if k {
				tk, bodyK = append(tk, d), w.Body.String()
			} else {
				tu, bodyU = append(tu, d), w.Body.String()
			}
			if bodyK != "" && bodyU != "" && bodyK != bodyU {
				t.Fatal("the bodies differ")
			}
		}
	}
	mk, mu := median(tk), median(tu)
	t.Logf("median known %v, unknown %v", mk, mu)
	if mk > 2*mu || mu > 2*mk {
		t.Fatalf("medians differ beyond the bound: known %v, unknown %v", mk, mu)
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// jar is a minimal cookie jar for the test client.
type jar struct{ cookies map[string][]*http.Cookie }

func newJar() *jar { return &jar{cookies: map[string][]*http.Cookie{}} }

func (j *jar) SetCookies(u *url.URL, cs []*http.Cookie) {
	j.cookies[u.Host] = append(j.cookies[u.Host], cs...)
}
func (j *jar) Cookies(u *url.URL) []*http.Cookie {
	var out []*http.Cookie
	for _, c := range j.cookies[u.Host] {
		if strings.HasPrefix(u.Path, c.Path) {
			out = append(out, c)
		}
	}
	return out
}

var downloadRE = regexp.MustCompile(`https://privacy\.example-trading\.test(/privacy/download/[A-Za-z0-9_-]{43})`)
var dlCodeRE = regexp.MustCompile(`The code is: ([0-9]{6})`)

// The whole path of an access request made on the form: verification,
// the worker's run, the completion mail with its link, a code mailed when the
// link is opened, the zip (checked against its manifest), the §7101 response
// date in the audit trail, and a use beyond the limit refused.
func TestAccessFromFormToDownload(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			e := setupWith(t, b, func(c *config.Intake) { c.DownloadUses = 1 })
			ctx := context.Background()
			p := e.ws.Sandbox.SamplePerson()
			e.post("10.2.0.1", formFor(p.Email))
			path, _ := e.verificationMail(t, 1)
			if w := e.do("POST", path, "10.2.0.2", url.Values{}, nil); w.Code != 200 {
				t.Fatalf("verify: %d", w.Code)
			}
			req := e.filed[0]
			if err := e.a.DSAR.Run(ctx, req.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := e.a.Mail.SendDue(ctx, 0); err != nil {
				t.Fatal(err)
			}
			got := e.smtp.Wait(t, 3) // verification, acknowledgement, completion
			var done mailtest.Message
			for _, g := range got {
				if strings.Contains(g.Header.Get("Subject"), "ready") {
					done = g
				}
			}
			m := downloadRE.FindStringSubmatch(done.Text)
			if m == nil {
				t.Fatalf("completion:\n%s", done.Text)
			}
			link := m[1]
			// The link alone serves nothing: it asks for a code.
			w := e.do("GET", link, "10.2.0.3", nil, nil)
			if w.Code != 200 || !strings.Contains(w.Body.String(), "Send me a code") || w.Header().Get("Content-Type") == "application/zip" {
				t.Fatalf("link: %d %s", w.Code, w.Body)
			}
			if w := e.do("POST", link, "10.2.0.3", url.Values{"code": {"123456"}}, nil); w.Code != 422 {
				t.Fatalf("download without a code sent: %d", w.Code)
			}
			if w := e.do("POST", link+"/code", "10.2.0.3", url.Values{}, nil); w.Code != 200 || !strings.Contains(w.Body.String(), "We sent a code") {
				t.Fatalf("send code: %d %s", w.Code, w.Body)
			}
			if _, err := e.a.Mail.SendDue(ctx, 0); err != nil {
				t.Fatal(err)
			}
			codeMail := e.smtp.Wait(t, 4)[3]
			cm := dlCodeRE.FindStringSubmatch(codeMail.Text)
			if cm == nil || codeMail.To[0] != p.Email {
				t.Fatalf("code mail:\n%s", codeMail.Text)
			}
			e.advance(time.Minute)
			w = e.do("POST", link, "10.2.0.3", url.Values{"code": {cm[1]}}, nil)
			if w.Code != 200 || w.Header().Get("Content-Type") != "application/zip" {
				t.Fatalf("download: %d %s", w.Code, w.Body.String()[:min(200, w.Body.Len())])
			}
			if _, err := accesspkg.Verify(w.Body.Bytes()); err != nil {
				t.Fatalf("the zip does not match its manifest: %v", err)
			}
			// The download is recorded with the §7101 response date.
			var dl *audit.Record
			for sr, err := range e.a.Store.Records(ctx, 1) {
				if err != nil {
					t.Fatal(err)
				}
				rec, _ := audit.DecodeBody(sr.Body)
				if rec.RequestID == req.ID && rec.Action == audit.ActionAccessPackageDownloaded {
					dl = &rec
				}
			}
			if dl == nil || dl.ResponseDate.IsZero() || !strings.Contains(dl.ResponseNature, "downloaded by the person") {
				t.Fatalf("download record: %+v", dl)
			}
			// The link allowed one use: it is spent, even with a new code.
			if w := e.do("POST", link+"/code", "10.2.0.3", url.Values{}, nil); w.Code != 404 {
				t.Fatalf("code after the last use: %d", w.Code)
			}
			if w := e.do("POST", link, "10.2.0.3", url.Values{"code": {cm[1]}}, nil); w.Code != 404 {
				t.Fatalf("second use: %d", w.Code)
			}
			// Nothing is left to forget: the last use already did.
			if spent, err := e.a.Store.SpentDownloadLinks(ctx, e.now(), 10); err != nil || len(spent) != 0 {
				t.Fatalf("spent links still holding an address: %d %v", len(spent), err)
			}
		})
	}
}

// An erasure asked for on the form: once verified and run, the person's
// completion message says what was deleted, what was kept and why, that a
// record is kept, and Intercom's 7-day recovery window.
func TestErasureFromFormCompletionMessage(t *testing.T) {
	e := setupWith(t, storetest.SQLite(), nil)
	ctx := context.Background()
	p := e.ws.Sandbox.SamplePerson()
	f := formFor(p.Email)
	f.Set("type", "erasure")
	f.Set("jurisdiction", "ccpa")
	if w := e.post("10.3.0.1", f); w.Code != 200 {
		t.Fatalf("submit: %d", w.Code)
	}
	path, _ := e.verificationMail(t, 1)
	if w := e.do("POST", path, "10.3.0.2", url.Values{}, nil); w.Code != 200 {
		t.Fatalf("verify: %d", w.Code)
	}
	if err := e.a.DSAR.Run(ctx, e.filed[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.a.Mail.SendDue(ctx, 0); err != nil {
		t.Fatal(err)
	}
	var done string
	for _, m := range e.smtp.Wait(t, 3) {
		if strings.Contains(m.Header.Get("Subject"), "deleted") {
			done = m.Text
		}
	}
	for _, want := range []string{"What we deleted:", "Intercom contact records", "7 days", "What we kept, and why:",
		"keyed fingerprint", "§7022(e)", "§7101", "California Privacy Protection Agency"} {
		if !strings.Contains(done, want) {
			t.Errorf("the erasure completion lacks %q:\n%s", want, done)
		}
	}
	if strings.Contains(done, p.Name) {
		t.Error("the message names the person")
	}
}

// A download link nobody used is forgotten when it expires: the hourly job
// empties its address and destroys its key.
func TestExpiredDownloadLinkForgetsTheAddress(t *testing.T) {
	e := setup(t, storetest.SQLite())
	ctx := context.Background()
	p := e.ws.Sandbox.SamplePerson()
	e.post("10.4.0.1", formFor(p.Email))
	path, _ := e.verificationMail(t, 1)
	e.do("POST", path, "10.4.0.2", url.Values{}, nil)
	if err := e.a.DSAR.Run(ctx, e.filed[0].ID); err != nil {
		t.Fatal(err)
	}
	e.advance(8 * 24 * time.Hour)
	spent, err := e.a.Store.SpentDownloadLinks(ctx, e.now(), 10)
	if err != nil || len(spent) != 1 {
		t.Fatalf("spent: %d %v", len(spent), err)
	}
	first := spent[0]
	if _, err := e.a.Store.LoadPersonKey(ctx, "download:"+first.ID); err != nil {
		t.Fatalf("the link's key before: %v", err)
	}
	if _, err := intake.Expire(ctx, e.a.Store, e.a.Vault, e.now()); err != nil {
		t.Fatal(err)
	}
	if spent, _ := e.a.Store.SpentDownloadLinks(ctx, e.now(), 10); len(spent) != 0 {
		t.Fatalf("still holding an address: %d", len(spent))
	}
	if _, err := e.a.Store.LoadPersonKey(ctx, "download:"+first.ID); err == nil {
		t.Fatal("the link's key survived")
	}
}
