package messages_test

import (
	"strings"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/messages"
)

// The CCPA completion letter of a categories-only answer says so and links
// to how to reach the higher level; a full answer says nothing of it; with no
// public form it says to write to us.
func TestCategoriesOnlyCompletion(t *testing.T) {
	tpl, err := messages.Load("")
	if err != nil {
		t.Fatal(err)
	}
	d := sample()
	full, err := tpl.Render(messages.AccessCompleted, deadline.CCPA, "", d)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(full.Text, "categories of personal information only") || strings.Contains(full.Subject, "categories") {
		t.Fatalf("a full answer speaks of categories:\n%s", full.Text)
	}
	(&messages.Service{PublicURL: "https://privacy.example.test"}).HigherLevel(&d)
	co, err := tpl.Render(messages.AccessCompleted, deadline.CCPA, "", d)
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{co.Text, co.HTML} {
		for _, want := range []string{"categories of personal information only", "sections 7062 and 7024", "penalty of perjury",
			"https://privacy.example.test" + messages.HigherLevelPath} {
			if !strings.Contains(part, want) {
				t.Errorf("lacks %q:\n%s", want, part)
			}
		}
	}
	if !strings.Contains(co.Subject, "categories") {
		t.Errorf("subject %q", co.Subject)
	}
	d = sample()
	(&messages.Service{}).HigherLevel(&d)
	none, err := tpl.Render(messages.AccessCompleted, deadline.CCPA, "", d)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(none.Text, messages.HigherLevelPath) || !strings.Contains(none.Text, "write to us at") {
		t.Fatalf("without a public form:\n%s", none.Text)
	}
}

// The verification message of a request an agent made says so; the agent's
// acknowledgement carries neither link nor code.
func TestAgentMessages(t *testing.T) {
	tpl, err := messages.Load("")
	if err != nil {
		t.Fatal(err)
	}
	d := sample()
	d.VerifyURL, d.Code, d.ViaAgent = "https://privacy.example.test/privacy/verify/TOKEN", "123456", true
	v, err := tpl.Render(messages.Verification, deadline.CCPA, "", d)
	if err != nil || !strings.Contains(v.Text, "authorised agent") || !strings.Contains(v.HTML, "authorised agent") {
		t.Fatalf("verification: %v\n%s", err, v.Text)
	}
	d.VerifyURL, d.Code = "", ""
	a, err := tpl.Render(messages.AgentAcknowledgement, deadline.CCPA, "", d)
	if err != nil || !strings.Contains(a.Text, "confirm the request themselves") || strings.Contains(a.Text, "TOKEN") || !strings.Contains(a.Text, "7063") {
		t.Fatalf("acknowledgement: %v\n%s", err, a.Text)
	}
}
