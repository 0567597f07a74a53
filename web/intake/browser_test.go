package intake_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/intercom-privacy/intercom-privacy/internal/browsertest"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

// A person in a real browser (headless Chromium): fills the form without
// JavaScript, receives the mail, follows the link and confirms. The page logs
// no error (a Content-Security-Policy violation would be one).
func TestFormInBrowser(t *testing.T) {
	browsertest.Skip(t)
	e := setup(t, storetest.SQLite())
	p := e.ws.Sandbox.SamplePerson()
	ctx := browsertest.Start(t, browsertest.Options{Width: 390, Height: 844}) // a phone's viewport
	problems := browsertest.Problems(t, ctx, nil)
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
	// The element is visible before the stylesheet has loaded: wait for the
	// load event (which waits for stylesheets) before reading styles.
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.readyState === "complete"`)); err != nil {
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
		// The confirmation page's own heading, not the form's absence: a
		// read right after the form goes can find the browser between
		// documents.
		chromedp.WaitVisible(chromedp.Search(`//main/h1[contains(., "your request is confirmed")]`)),
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
	if p := problems(); len(p) > 0 {
		t.Fatalf("the pages logged: %v", p)
	}
}
