package intake_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/app/apptest"
	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/mail/mailtest"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/web/intake"
)

// setupFull is setupWith, with the handler able to read the Intercom
// contacts of an address (the step to the higher level is offered).
func setupFull(t *testing.T, b storetest.Backend, tweak func(*config.Intake)) *env {
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
		Filed:    func(_ context.Context, r store.Request) { e.filed = append(e.filed, r) },
		Contacts: contactsOf(e),
	})
	if err != nil {
		t.Fatal(err)
	}
	e.h = h.Handler()
	e.srv = httptest.NewServer(e.h)
	t.Cleanup(e.srv.Close)
	return e
}

func contactsOf(e *env) func(ctx context.Context, email string) ([]intercom.Contact, error) {
	return func(ctx context.Context, email string) ([]intercom.Contact, error) {
		res, err := e.a.DSAR.Resolve(ctx, dsar.Identifiers{Emails: []string{email}})
		if err != nil {
			return nil, err
		}
		var out []intercom.Contact
		for _, m := range res.Matches {
			if m.Contact != nil {
				out = append(out, *m.Contact)
			}
		}
		return out, nil
	}
}

var (
	pngFile = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{7}, 64)...)
	pdfFile = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")
)

// multipartForm builds a form as a browser posts it; file nil posts an empty
// file input.
func multipartForm(t testing.TB, fields url.Values, name string, file []byte, declared string) (io.Reader, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, k := range []string{"type", "email", "phone", "jurisdiction", "agent", "agent_name", "agent_email", "website"} {
		if v, ok := fields[k]; ok {
			if err := mw.WriteField(k, v[0]); err != nil {
				t.Fatal(err)
			}
		}
	}
	hdr := textproto.MIMEHeader{}
	hdr.Set("Content-Disposition", `form-data; name="permission"; filename="`+name+`"`)
	hdr.Set("Content-Type", declared)
	w, err := mw.CreatePart(hdr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(file); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf, mw.FormDataContentType()
}

func (e *env) postMultipart(remote string, body io.Reader, ct string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", "http://privacy.example-trading.test"+intake.PathRequest, body)
	r.Header.Set("Content-Type", ct)
	r.RemoteAddr = remote + ":40000"
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

func agentFields(email string) url.Values {
	return url.Values{"type": {"access"}, "email": {email}, "jurisdiction": {"ccpa"}, "agent": {"yes"},
		"agent_name": {"Alex Agent"}, "agent_email": {"alex@agents.example.net"}}
}

// mailTo returns the messages that arrived for to.
func (e *env) mailTo(t *testing.T, n int, to string) []mailtest.Message {
	t.Helper()
	if _, err := e.a.Mail.SendDue(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	var out []mailtest.Message
	for _, m := range e.smtp.Wait(t, n) {
		if m.To[0] == to {
			out = append(out, m)
		}
	}
	return out
}

func auditRecords(t *testing.T, e *env) []audit.Record {
	t.Helper()
	var out []audit.Record
	for sr, err := range e.a.Store.Records(context.Background(), 1) {
		if err != nil {
			t.Fatal(err)
		}
		rec, err := audit.DecodeBody(sr.Body)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rec)
	}
	return out
}

// An authorised agent files for a person with the signed permission: the
// person gets the verification mail and confirms; the agent gets an
// acknowledgement; the permission is stored encrypted, moved onto the
// request, and the work waits until an operator accepts it. A privacy
// officer's download is audited; a refusal denies a second request with the
// §7063 letter to the person.
func TestAgentFilesForAPerson(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			e := setupFull(t, b, nil)
			ctx := context.Background()
			p := e.ws.Sandbox.SamplePerson()
			body, ct := multipartForm(t, agentFields(p.Email), "letter.png", pngFile, "application/octet-stream")
			if w := e.postMultipart("10.0.0.1", body, ct); w.Code != 200 || !strings.Contains(w.Body.String(), "Check your e-mail") {
				t.Fatalf("submit: %d %s", w.Code, w.Body)
			}
			mine := e.mailTo(t, 2, p.Email)
			ack := e.mailTo(t, 2, "alex@agents.example.net")
			if len(mine) != 1 || len(ack) != 1 {
				t.Fatalf("%d mails to the person, %d to the agent", len(mine), len(ack))
			}
			if !strings.Contains(mine[0].Text, "authorised agent") || !linkRE.MatchString(mine[0].Text) {
				t.Fatalf("verification mail:\n%s", mine[0].Text)
			}
			if linkRE.MatchString(ack[0].Text) || codeRE.MatchString(ack[0].Text) || strings.Contains(ack[0].Text, p.Email) ||
				!strings.Contains(ack[0].Text, "confirm the request themselves") {
				t.Fatalf("the agent's acknowledgement holds the link, code or address, or says nothing:\n%s", ack[0].Text)
			}
			// Stored encrypted, under the intake's key.
			pending, _, err := e.a.Store.CountIntakes(ctx, e.now(), "")
			if err != nil || pending != 1 {
				t.Fatalf("pending %d, %v", pending, err)
			}
			path := linkRE.FindStringSubmatch(mine[0].Text)[1]
			w := e.do("POST", path, "10.0.0.2", url.Values{}, nil)
			if w.Code != 200 {
				t.Fatalf("verify: %d %s", w.Code, w.Body)
			}
			req := e.filed[0]
			// The person is offered the higher level too; they go on without.
			if m := stepTokenRE.FindStringSubmatch(w.Body.String()); m != nil {
				if w := e.do("POST", intake.PathStepUp, "10.0.0.2", url.Values{"token": {m[1]}, "action": {"skip"}}, nil); w.Code != 200 {
					t.Fatalf("skip: %d", w.Code)
				}
			}
			perm, err := e.a.Store.AgentPermissionByRequest(ctx, req.ID)
			if err != nil || perm.State != store.AgentPending || perm.MediaType != "image/png" || perm.Size != int64(len(pngFile)) ||
				bytes.Contains(perm.DocumentEnc, pngFile[:8]) || bytes.Contains(perm.AgentEnc, []byte("alex@")) {
				t.Fatalf("permission: %+v, %v", perm, err)
			}
			if err := e.a.DSAR.Run(ctx, req.ID); !errors.Is(err, dsar.ErrAgentPending) || !errors.Is(err, dsar.ErrNotVerified) {
				t.Fatalf("run before the decision: %v", err)
			}
			v, err := e.a.DSAR.Show(ctx, req.ID)
			if err != nil || v.Agent == nil || v.Agent.State != "pending" || v.Agent.MediaType != "image/png" {
				t.Fatalf("show: %+v, %v", v.Agent, err)
			}
			mt, doc, err := e.a.DSAR.AgentDocument(ctx, req.ID)
			if err != nil || mt != "image/png" || !bytes.Equal(doc, pngFile) {
				t.Fatalf("document: %s %d bytes, %v", mt, len(doc), err)
			}
			if _, err := e.a.DSAR.DecideAgent(ctx, req.ID, true, ""); err != nil {
				t.Fatal(err)
			}
			if _, err := e.a.DSAR.DecideAgent(ctx, req.ID, false, ""); !errors.Is(err, dsar.ErrAgentDecided) {
				t.Fatalf("decided twice: %v", err)
			}
			if err := e.a.DSAR.Run(ctx, req.ID); errors.Is(err, dsar.ErrNotVerified) {
				t.Fatalf("run after acceptance: %v", err)
			}
			var read, decided bool
			for _, rec := range auditRecords(t, e) {
				if rec.RequestID != req.ID {
					continue
				}
				read = read || rec.Action == audit.ActionAgentPermissionRead
				decided = decided || rec.Action == audit.ActionAgentPermissionDecided && strings.Contains(rec.Reason, "accepted")
				if strings.Contains(rec.Reason, "Alex") || strings.Contains(rec.Reason, "alex@") {
					t.Fatalf("the agent is in the audit trail: %q", rec.Reason)
				}
			}
			if !read || !decided {
				t.Fatalf("audit: download %v, decision %v", read, decided)
			}

			// A second request by the agent, refused: the person is told why.
			q := e.ws.Sandbox.AddPerson(sandboxSpec())
			body, ct = multipartForm(t, agentFields(q.Email), "letter.pdf", pdfFile, "application/pdf")
			if w := e.postMultipart("10.0.0.3", body, ct); w.Code != 200 {
				t.Fatalf("second submit: %d", w.Code)
			}
			before := len(e.smtp.Messages())
			theirs := e.mailTo(t, before+2, q.Email)
			path = linkRE.FindStringSubmatch(theirs[0].Text)[1]
			if w := e.do("POST", path, "10.0.0.4", url.Values{}, nil); w.Code != 200 {
				t.Fatalf("verify: %d", w.Code)
			}
			second := e.filed[len(e.filed)-1]
			denied, err := e.a.DSAR.DecideAgent(ctx, second.ID, false, "The signature is missing.")
			if err != nil || denied.State != store.StateDenied || !strings.Contains(denied.DenialReason, "7063") {
				t.Fatalf("refused: %+v, %v", denied, err)
			}
			perm, _ = e.a.Store.AgentPermissionByRequest(ctx, second.ID)
			if perm.State != store.AgentRefused || perm.DecidedAt.IsZero() {
				t.Fatalf("permission after refusal: %+v", perm)
			}
			var letter *mailtest.Message
			for _, m := range e.mailTo(t, before+4, q.Email) {
				if strings.Contains(m.Header.Get("Subject"), "our decision") {
					letter = &m
				}
			}
			if letter == nil || !strings.Contains(letter.Text, "section 7063(a)") || !strings.Contains(letter.Text, "The signature is missing.") {
				t.Fatalf("no §7063 denial letter to the person")
			}
		})
	}
}

func sandboxSpec() sandbox.PersonSpec {
	return sandbox.PersonSpec{Name: "Quinn Second", Email: "quinn.second@example.org", Phone: "+1 415 555 0199", Users: 1}
}

// Bad uploads get a clear error next to the field and nothing is stored: a
// 10 MB file, a file whose content is not a PDF, PNG or JPEG (whatever its
// name and declared type), no file, the person's own address as the agent's.
func TestAgentUploadRefused(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			e := setupFull(t, b, nil)
			ctx := context.Background()
			huge := append(append([]byte{}, pdfFile...), bytes.Repeat([]byte("A"), 10<<20)...)
			cases := []struct {
				name   string
				fields url.Values
				file   []byte
				fname  string
				want   string
				length bool // send a Content-Length (a browser does)
			}{
				{"10 MB with length", agentFields("ann@example.org"), huge, "big.pdf", "larger than 5 MB", true},
				{"10 MB streamed", agentFields("ann@example.org"), huge, "big.pdf", "larger than 5 MB", false},
				{"not a pdf", agentFields("ann@example.org"), []byte("<html><script>alert(1)</script></html>"), "letter.pdf", "must be a PDF, PNG or JPEG", true},
				{"missing", agentFields("ann@example.org"), nil, "", "Attach the permission", true},
				{"same address", func() url.Values {
					v := agentFields("ann@example.org")
					v.Set("agent_email", "ANN@example.org")
					return v
				}(),
					pdfFile, "l.pdf", "must be different from the person", true},
				{"file without agent", url.Values{"type": {"access"}, "email": {"ann@example.org"}, "jurisdiction": {"ccpa"}}, pdfFile, "l.pdf",
					"Tick", true},
			}
			for i, c := range cases {
				body, ct := multipartForm(t, c.fields, c.fname, c.file, "application/pdf")
				r := httptest.NewRequest("POST", "http://privacy.example-trading.test"+intake.PathRequest, body)
				if !c.length {
					r.ContentLength = -1
					r.Body = io.NopCloser(r.Body)
				}
				r.Header.Set("Content-Type", ct)
				r.RemoteAddr = "10.1.0." + string(rune('1'+i)) + ":4000"
				w := httptest.NewRecorder()
				e.h.ServeHTTP(w, r)
				if w.Code != 422 || !strings.Contains(w.Body.String(), c.want) || !strings.Contains(w.Body.String(), `id="permission"`) {
					t.Errorf("%s: %d\n%.2000s", c.name, w.Code, w.Body)
				}
				if strings.Contains(w.Body.String(), "<script>") {
					t.Errorf("%s: the upload is echoed", c.name)
				}
			}
			pending, _, err := e.a.Store.CountIntakes(ctx, e.now(), "")
			if err != nil || pending != 0 {
				t.Fatalf("stored: %d pending, %v", pending, err)
			}
			if n, err := e.a.Mail.SendDue(ctx, 0); err != nil || len(e.smtp.Messages()) != 0 {
				t.Fatalf("mail sent: %v %v", n, err)
			}
		})
	}
}

var stepTokenRE = regexp.MustCompile(`name="token" value="([A-Za-z0-9_-]{43})"`)

// The person reaches the higher level themselves: after the e-mail link, a
// CCPA access request asks for the phone number on the contact and the
// signed declaration; the run waits meanwhile. Wrong answers are counted and
// never echo what is stored; the right one raises the level with the method
// and the time, and the typed name is kept nowhere.
func TestStepUpToTheHigherLevel(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			e := setupFull(t, b, nil)
			ctx := context.Background()
			p := e.ws.Sandbox.SamplePerson()
			phone := contactPhone(t, e, p.Email)
			if w := e.post("10.0.0.1", url.Values{"type": {"access"}, "email": {p.Email}, "jurisdiction": {"ccpa"}}); w.Code != 200 {
				t.Fatalf("submit: %d", w.Code)
			}
			path, _ := e.verificationMail(t, 1)
			w := e.do("POST", path, "10.0.0.2", url.Values{}, nil)
			m := stepTokenRE.FindStringSubmatch(w.Body.String())
			if w.Code != 200 || m == nil || !strings.Contains(w.Body.String(), "penalty of perjury") {
				t.Fatalf("after the link: %d %s", w.Code, w.Body)
			}
			token := m[1]
			req := e.filed[0]
			if err := e.a.DSAR.Run(ctx, req.ID); !errors.Is(err, dsar.ErrStepUpOffered) {
				t.Fatalf("run during the offer: %v", err)
			}
			answer := func(a, name string, declare bool) *httptest.ResponseRecorder {
				f := url.Values{"token": {token}, "action": {"raise"}, "answer": {a}, "full_name": {name}}
				if declare {
					f.Set("declare", "yes")
				}
				return e.do("POST", intake.PathStepUp, "10.0.0.2", f, nil)
			}
			// Not signed: asked again, no attempt counted.
			if w := answer(phone, "", false); w.Code != 422 || !strings.Contains(w.Body.String(), "Tick the declaration") ||
				!strings.Contains(w.Body.String(), "Type your full name") {
				t.Fatalf("unsigned: %d %s", w.Code, w.Body)
			}
			if w := answer("+1 555 000 0000", "Pat Person", true); w.Code != 422 || !strings.Contains(w.Body.String(), "2 tries left") ||
				strings.Contains(w.Body.String(), phone) || strings.Contains(w.Body.String(), digitsOf(phone)) {
				t.Fatalf("wrong: %d %s", w.Code, w.Body)
			}
			// The right number, typed with other spacing.
			if w := answer(" "+spaced(phone)+" ", "Pat Person", true); w.Code != 200 || !strings.Contains(w.Body.String(), "higher level") {
				t.Fatalf("right: %d %s", w.Code, w.Body)
			}
			got, err := e.a.Store.GetRequest(ctx, req.ID)
			if err != nil || got.VerificationLevel != store.VerificationHigh || dsar.CategoriesOnly(got) {
				t.Fatalf("level: %+v, %v", got.VerificationLevel, err)
			}
			th, _ := intake.ParseToken(token)
			su, err := e.a.Store.StepUpByToken(ctx, th)
			if err != nil || su.State != store.StepUpRaised || su.Method != "phone number" || !su.DeclaredAt.Equal(e.now()) || !su.SettledAt.Equal(e.now()) || su.Attempts != 1 {
				t.Fatalf("evidence: %+v, %v", su, err)
			}
			raised := false
			for _, rec := range auditRecords(t, e) {
				if strings.Contains(rec.Reason, "Pat") || strings.Contains(rec.Reason, digitsOf(phone)) {
					t.Fatalf("the name or number is in the audit trail: %q", rec.Reason)
				}
				raised = raised || rec.RequestID == req.ID && rec.Action == audit.ActionRequestVerified &&
					strings.Contains(rec.Reason, "second data point (phone number)") && strings.Contains(rec.Reason, "penalty of perjury")
			}
			if !raised {
				t.Fatal("no record of the higher level")
			}
			if w := answer(phone, "Pat Person", true); w.Code != 404 {
				t.Fatalf("reused: %d", w.Code)
			}
			if err := e.a.DSAR.Run(ctx, req.ID); err != nil {
				t.Fatalf("run after the step: %v", err)
			}
			got, _ = e.a.Store.GetRequest(ctx, req.ID)
			if got.State != store.StateCompleted || dsar.CategoriesOnly(got) {
				t.Fatalf("after run: %s", got.State)
			}
		})
	}
}

// Three wrong answers close the offer: the request goes on with the
// categories only.
func TestStepUpThrottled(t *testing.T) {
	e := setupFull(t, storetest.SQLite(), nil)
	ctx := context.Background()
	p := e.ws.Sandbox.SamplePerson()
	if w := e.post("10.0.0.1", url.Values{"type": {"access"}, "email": {p.Email}, "jurisdiction": {"ccpa"}}); w.Code != 200 {
		t.Fatalf("submit: %d", w.Code)
	}
	path, _ := e.verificationMail(t, 1)
	token := stepTokenRE.FindStringSubmatch(e.do("POST", path, "10.0.0.2", url.Values{}, nil).Body.String())[1]
	var w *httptest.ResponseRecorder
	for range 3 {
		w = e.do("POST", intake.PathStepUp, "10.0.0.2", url.Values{"token": {token}, "action": {"raise"}, "answer": {"+1 555 000 0000"},
			"full_name": {"Pat"}, "declare": {"yes"}}, nil)
	}
	if w.Code != 422 || !strings.Contains(w.Body.String(), "could not confirm your identity") {
		t.Fatalf("third wrong: %d %s", w.Code, w.Body)
	}
	if err := e.a.DSAR.Run(ctx, e.filed[0].ID); err != nil {
		t.Fatalf("run after the failed step: %v", err)
	}
	got, _ := e.a.Store.GetRequest(ctx, e.filed[0].ID)
	if got.VerificationLevel != store.VerificationLow || !dsar.CategoriesOnly(got) || got.State != store.StateCompleted {
		t.Fatalf("after: %s %s", got.VerificationLevel, got.State)
	}
}

// A request answered with the categories only: the completion letter (read
// from the SMTP server) says so and links to how to reach the higher level;
// that page is served.
func TestCategoriesOnlyLetter(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			e := setupFull(t, b, nil)
			ctx := context.Background()
			p := e.ws.Sandbox.SamplePerson()
			if w := e.post("10.0.0.1", url.Values{"type": {"access"}, "email": {p.Email}, "jurisdiction": {"ccpa"}}); w.Code != 200 {
				t.Fatalf("submit: %d", w.Code)
			}
			path, _ := e.verificationMail(t, 1)
			token := stepTokenRE.FindStringSubmatch(e.do("POST", path, "10.0.0.2", url.Values{}, nil).Body.String())[1]
			if w := e.do("POST", intake.PathStepUp, "10.0.0.2", url.Values{"token": {token}, "action": {"skip"}}, nil); w.Code != 200 ||
				!strings.Contains(w.Body.String(), "categories") {
				t.Fatalf("skip: %d %s", w.Code, w.Body)
			}
			if err := e.a.DSAR.Run(ctx, e.filed[0].ID); err != nil {
				t.Fatal(err)
			}
			var letter *mailtest.Message
			for _, m := range e.mailTo(t, 3, p.Email) {
				if strings.Contains(m.Header.Get("Subject"), "categories of your personal information") {
					letter = &m
				}
			}
			if letter == nil {
				t.Fatal("no categories-only completion letter")
			}
			for _, want := range []string{"categories of personal information only", "reasonably high degree of certainty",
				"penalty of perjury", "https://privacy.example-trading.test" + intake.PathHigher} {
				if !strings.Contains(letter.Text, want) {
					t.Errorf("the letter lacks %q:\n%s", want, letter.Text)
				}
			}
			if !strings.Contains(letter.HTML, `href="https://privacy.example-trading.test`+intake.PathHigher+`"`) {
				t.Errorf("the HTML part lacks the link:\n%s", letter.HTML)
			}
			if w := e.do("GET", intake.PathHigher, "10.0.0.3", nil, nil); w.Code != 200 || !strings.Contains(w.Body.String(), "phone number") ||
				!strings.Contains(w.Body.String(), `href="/privacy/request"`) {
				t.Fatalf("higher page: %d %s", w.Code, w.Body)
			}
		})
	}
}

// contactPhone is the phone on a contact of email.
func contactPhone(t *testing.T, e *env, email string) string {
	t.Helper()
	cs, err := contactsOf(e)(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if len(digitsOf(c.Phone)) >= 7 {
			return c.Phone
		}
	}
	t.Fatal("no contact with a phone")
	return ""
}

func digitsOf(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// spaced writes a number's digits in groups of three.
func spaced(phone string) string {
	d := digitsOf(phone)
	var b strings.Builder
	for i, r := range d {
		if i > 0 && i%3 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}
