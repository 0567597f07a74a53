package dsar

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/pii"
)

func testRedaction(t testing.TB) *redaction {
	t.Helper()
	eng, err := pii.NewEngine(pii.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := newRedaction(eng, []pii.KnownValue{
		{Type: pii.TypeKnownName, Value: "Saoirse Ní Bhriain"},
		{Type: pii.TypeKnownEmail, Value: "saoirse.nibhriain@example-mail.ie"},
		{Type: pii.TypeKnownPhone, Value: "+353 87 123 4567"},
		{Type: pii.TypeKnownExternalID, Value: "usr_sample_0001"},
	})
	if err != nil {
		t.Fatal(err)
	}
	r.addStaff("Priya Raman")
	r.addOther("Tomasz Kowalski")
	r.addOther("Priya Raman")        // a customer with a teammate's name: staff wins
	r.addOther("Saoirse Ní Bhriain") // the person's own name is never someone else's
	return r
}

func TestRedactionKeepsOwnDataAndRemovesOthers(t *testing.T) {
	r := testRedaction(t)
	in := `<p>Hi, I am Saoirse Ní Bhriain (SAOIRSE.NIBHRIAIN@example-mail.ie, 087 123 4567, +353871234567), user usr_sample_0001.</p>` +
		`<p>My colleague Tomasz Kowalski (tomasz.k@firma-poczta.pl, +48 601 234 567) pays with 4111 1111 1111 1111 ` +
		`into GB82 WEST 1234 5698 7654 32. Priya Raman from support answered.</p><a href="mailto:tomasz.k@firma-poczta.pl">him</a>`
	out, text := r.html(in)
	for _, keep := range []string{"Saoirse Ní Bhriain", "SAOIRSE.NIBHRIAIN@example-mail.ie", "087 123 4567", "+353871234567", "usr_sample_0001", "Priya Raman"} {
		if !strings.Contains(out, keep) && !strings.Contains(out, strings.ReplaceAll(keep, "í", "&iacute;")) {
			t.Errorf("the person's own value or a teammate's name was redacted: %q\n%s", keep, out)
		}
	}
	for _, gone := range []string{"Tomasz", "Kowalski", "tomasz.k@firma-poczta.pl", "601 234 567", "4111 1111 1111 1111", "GB82 WEST"} {
		if strings.Contains(out, gone) || strings.Contains(text, gone) {
			t.Errorf("third-party value %q survived:\n%s", gone, out)
		}
	}
	for _, tag := range []string{"[NAME]", "[EMAIL]", "[PHONE]"} {
		if !strings.Contains(text, tag) {
			t.Errorf("text lacks %s: %s", tag, text)
		}
	}
	if r.total() < 5 {
		t.Errorf("redactions counted: %d", r.total())
	}
	// Idempotent: a second pass changes nothing.
	again, _ := r.html(out)
	if again != out {
		t.Errorf("redaction is not idempotent:\n%s\n%s", out, again)
	}
}

func TestProfileSplit(t *testing.T) {
	raw := `{"type":"contact","id":"c1","email":"a@b.example","name":"A","phone":"+1 202 555 0100","email_domain":"b.example",
		"location":{"city":"Paris"},"last_seen_at":1700000000,"browser":"firefox","custom_attributes":{"plan":"pro"},
		"unsubscribed_from_emails":true,"tags":{"data":[]},"brand_new_field":"x","social_profiles":{"data":[]}}`
	p, o, d, ok := splitProfile([]byte(raw))
	if !ok {
		t.Fatal("not split")
	}
	want := map[string]string{"email": "provided", "name": "provided", "phone": "provided", "custom_attributes": "provided",
		"unsubscribed_from_emails": "provided", "email_domain": "derived", "location": "derived", "social_profiles": "derived",
		"last_seen_at": "observed", "browser": "observed", "id": "observed", "type": "observed", "brand_new_field": "observed"}
	for k, g := range want {
		var in map[string]any
		switch g {
		case "provided":
			in = p
		case "observed":
			in = o
		case "derived":
			in = d
		}
		if _, ok := in[k]; !ok {
			t.Errorf("%s is not %s", k, g)
		}
	}
	if _, ok := o["tags"]; ok {
		t.Error("reference lists belong to their own sections")
	}
	if _, _, _, ok := splitProfile([]byte(`[1,2]`)); ok {
		t.Error("a non-object split")
	}
}

// FuzzAccessText feeds arbitrary HTML and profiles to the parsers of the access
// workflow: no panic, valid UTF-8 out, the person's own e-mail kept when present.
func FuzzAccessText(f *testing.F) {
	r := testRedaction(f)
	f.Add(`<p>Mail saoirse.nibhriain@example-mail.ie or x@y.example</p>`)
	f.Add(`<script>alert(1)</script><br><div>a&amp;b</div>`)
	f.Add(`{"email":"a@b.c","location":{"city":1}}`)
	f.Add("\xff\xfe<p")
	f.Fuzz(func(t *testing.T, s string) {
		out, text := r.html(s)
		if !utf8.ValidString(out) || !utf8.ValidString(text) {
			t.Fatal("invalid UTF-8 out")
		}
		_ = htmlText(s)
		_, _, _, _ = splitProfile([]byte(s))
		// Checked where the address stands alone (between spaces), so that a longer
		// address around it is not mistaken for it.
		if strings.Contains(" "+s+" ", " saoirse.nibhriain@example-mail.ie ") && !strings.ContainsAny(s, "<&") &&
			!strings.Contains(strings.ToLower(out), "saoirse.nibhriain@example-mail.ie") {
			t.Fatalf("own e-mail lost: %q -> %q", s, out)
		}
	})
}

func TestConversationAuthorsAndAttachments(t *testing.T) {
	r := testRedaction(t)
	a := &assembler{red: r, own: map[string]bool{"me1": true}, counts: map[string]int64{}}
	cv := intercom.Conversation{ID: "c1", CreatedAt: 1700000000, Contacts: intercom.ConversationContacts{Contacts: []intercom.ContactRef{{ID: "me1"}, {ID: "stranger"}}},
		Source: intercom.Source{ID: "s1", Body: "<p>Hello</p>", Author: intercom.Author{Type: "user", ID: "me1", Name: "Saoirse Ní Bhriain"},
			Attachments: []intercom.Attachment{{Name: "my-invoice.pdf", URL: "https://files.example/1", ContentType: "application/pdf", Filesize: 1234}}}}
	cv.ConversationParts.ConversationParts = []intercom.ConversationPart{
		{ID: "p1", PartType: "comment", CreatedAt: 1700000100, Body: "<p>I'm Tomasz, see my scan</p>",
			Author:      intercom.Author{Type: "user", ID: "stranger", Name: "Tomasz Kowalski", Email: "tomasz.k@firma-poczta.pl"},
			Attachments: []intercom.Attachment{{Name: "tomasz-kowalski-passport.jpg", URL: "https://files.example/2", ContentType: "image/jpeg"}}},
		{ID: "p2", PartType: "comment", CreatedAt: 1700000200, Body: "<p>Thanks both</p>", Author: intercom.Author{Type: "admin", ID: "a1", Name: "Priya Raman"}},
	}
	cv.ConversationParts.TotalCount = 2
	out := a.conversation(cv)
	if len(out.Messages) != 3 {
		t.Fatalf("%d messages", len(out.Messages))
	}
	you, other, staff := out.Messages[0], out.Messages[1], out.Messages[2]
	if you.Author != "You" || !you.ProvidedBySubject || len(you.Attachments) != 1 || you.Attachments[0].Name != "my-invoice.pdf" || you.Attachments[0].URL == "" {
		t.Errorf("own message %+v", you)
	}
	if other.Author != "Another person" || other.AuthorRole != "other" || len(other.Attachments) != 1 || !other.Attachments[0].Withheld ||
		other.Attachments[0].Name != "" || other.Attachments[0].URL != "" {
		t.Errorf("other customer's message %+v", other)
	}
	if staff.Author != "Priya Raman" || staff.AuthorRole != "teammate" {
		t.Errorf("teammate's message %+v", staff)
	}
	if out.Raw["other_participants"] != 1 {
		t.Errorf("raw %v", out.Raw)
	}
	if strings.Contains(out.Raw["your_contact_ids"].([]any)[0].(string), "stranger") {
		t.Error("another person's contact id disclosed")
	}
}
