package intake_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/intercom-privacy/intercom-privacy/internal/browsertest"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

// An authorised agent in a real browser: ticks the box, gives their name and
// address, uploads the signed permission (a PDF) without JavaScript; a
// second try with a file that is not a PDF, PNG or JPEG shows the error next
// to the field. Then the person, in their own browser, follows the link and
// gives the second data point with the signed declaration.
func TestAgentAndStepUpInBrowser(t *testing.T) {
	browsertest.Skip(t)
	e := setupFull(t, storetest.SQLite(), nil)
	p := e.ws.Sandbox.SamplePerson()
	phone := contactPhone(t, e, p.Email)
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "permission.pdf"), filepath.Join(dir, "permission-really-text.pdf")
	if err := os.WriteFile(good, pdfFile, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("just some text, not a PDF"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := browsertest.Start(t, browsertest.Options{Width: 390, Height: 844, Timeout: 120 * time.Second})
	// The refused file's answer is a 422 by design; nothing else may be logged.
	problems := browsertest.Problems(t, ctx, func(text, url string) bool {
		return strings.Contains(text, "status of 422") && strings.HasSuffix(url, "/privacy/request")
	})
	// fill submits the form with file and waits for an element only the
	// answer page has (done), not for one the form page has too: a wait
	// that the page being left satisfies lets the next read run while the
	// browser swaps documents ("Cannot find context with specified id").
	fill := func(file string, done chromedp.Action[chromedp.Void]) error {
		return chromedp.Do(ctx,
			chromedp.Navigate(e.srv.URL+"/privacy/request"),
			chromedp.WaitVisible(chromedp.ID("email")),
			chromedp.Click(chromedp.ID("type-access")),
			chromedp.SendKeys(chromedp.ID("email"), p.Email),
			chromedp.SetValue(chromedp.ID("jurisdiction"), "ccpa"),
			chromedp.Click(chromedp.ID("agent")),
			chromedp.SendKeys(chromedp.ID("agent_name"), "Alex Agent"),
			chromedp.SendKeys(chromedp.ID("agent_email"), "alex@agents.example.net"),
			chromedp.SetUploadFiles(chromedp.ID("permission"), []string{file}),
			chromedp.Click(chromedp.CSS("form button[type=submit]")),
			done,
		)
	}
	if err := fill(bad, chromedp.WaitVisible(chromedp.ID("errors"))); err != nil {
		t.Fatal(err)
	}
	errs, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("errors")))
	if err != nil || !strings.Contains(errs, "must be a PDF, PNG or JPEG") {
		t.Fatalf("bad file: %q, %v", errs, err)
	}
	if err := fill(good, chromedp.WaitVisible(chromedp.ID("code"))); err != nil {
		t.Fatal(err)
	}
	heading, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main h1")))
	if err != nil || heading != "Check your e-mail" {
		t.Fatalf("after the upload: %q, %v", heading, err)
	}
	mine := e.mailTo(t, 2, p.Email)
	if len(mine) != 1 {
		t.Fatalf("%d mails to the person", len(mine))
	}
	path := linkRE.FindStringSubmatch(mine[0].Text)[1]
	err = chromedp.Do(ctx,
		chromedp.Navigate(e.srv.URL+path),
		chromedp.WaitVisible(chromedp.CSS("main form button")),
		chromedp.Click(chromedp.CSS("main form button")),
		chromedp.WaitVisible(chromedp.ID("answer")),
		chromedp.SendKeys(chromedp.ID("answer"), spaced(phone)),
		chromedp.Click(chromedp.ID("declare")),
		chromedp.SendKeys(chromedp.ID("full_name"), "Pat Person"),
		chromedp.Click(chromedp.CSS("button[value=raise]")),
		chromedp.WaitVisible(chromedp.Search(`//main/h1[contains(., "your request is confirmed")]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil || !strings.Contains(text, "higher level") {
		t.Fatalf("after the step: %q, %v", text, err)
	}
	r, err := e.a.Store.GetRequest(context.Background(), e.filed[0].ID)
	if err != nil || r.VerificationLevel != store.VerificationHigh {
		t.Fatalf("level %q, %v", r.VerificationLevel, err)
	}
	perm, err := e.a.Store.AgentPermissionByRequest(context.Background(), r.ID)
	if err != nil || perm.MediaType != "application/pdf" || perm.Size != int64(len(pdfFile)) {
		t.Fatalf("permission: %+v, %v", perm, err)
	}
	if p := problems(); len(p) > 0 {
		t.Fatalf("the pages logged: %v", p)
	}
}
