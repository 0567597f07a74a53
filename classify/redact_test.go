package classify

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/intercom-privacy/intercom-privacy/pii"
)

const contactDoc = `{
  "type": "contact",
  "id": "6329bd9ffe4e2e91dac76188",
  "workspace_id": "ecahpwf5",
  "external_id": "user-2291",
  "role": "user",
  "email": "jane.roe@example.com",
  "phone": "+14155550123",
  "name": "Jane Roe",
  "avatar": {"type": "avatar", "image_url": "https://static.example.com/jane.png"},
  "created_at": 1663597223,
  "location": {"type": "location", "country": "Ireland", "region": "Dublin", "city": "Dublin"},
  "browser": "chrome",
  "custom_attributes": {
    "ssn": "078-05-1120",
    "plan_note": "reach me at jane.alt@example.org please",
    "nested": {"deep": ["mail jane.deep@example.net"], "email": "x"},
    "seats": 4,
    "loyalty_card": 4111111111111111
  },
  "mystery_field": "contact jane.mystery@example.com",
  "social_profiles": {"type": "list", "data": [{"type": "social_profile", "name": "Twitter", "url": "https://twitter.com/janeroe"}]}
}`

func mustNew(t testing.TB, opts Options) *Redactor {
	t.Helper()
	r, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return r
}

func TestRedactContact(t *testing.T) {
	r := mustNew(t, Options{})
	var counts Counts
	out, err := r.AppendRedact(nil, []byte(contactDoc), KindContact, nil, &counts)
	if err != nil {
		t.Fatalf("Redact: %v", err)
	}
	if !json.Valid(out) {
		t.Fatalf("output is not JSON: %s", out)
	}
	for _, leak := range []string{"jane.roe@", "4155550123", "Jane Roe", "jane.png", "Dublin", "Ireland",
		"078-05-1120", "jane.alt@", "jane.deep@", "jane.mystery@", "twitter.com/janeroe", "chrome", "4111111111111111"} {
		if bytes.Contains(out, []byte(leak)) {
			t.Errorf("output still contains %q:\n%s", leak, out)
		}
	}
	for _, keep := range []string{`"id": "6329bd9ffe4e2e91dac76188"`, `"external_id": "user-2291"`,
		`"created_at": 1663597223`, `"type": "location"`, `"seats": 4`, `"email": "[EMAIL]"`,
		`"name": "[NAME]"`, `"ssn": "[NATIONAL_ID]"`, `"city": "[LOCATION]"`, `"loyalty_card": "[CARD]"`} {
		if !bytes.Contains(out, []byte(keep)) {
			t.Errorf("output lacks %s:\n%s", keep, out)
		}
	}
	if counts.Fields[LabelEmail] != 2 || counts.Fields[LabelName] != 1 || counts.Fields[LabelLocation] != 3 ||
		counts.Findings[pii.TypeCard] != 1 || counts.Findings[pii.TypeEmail] != 3 {
		t.Errorf("counts = %+v", counts)
	}
	// The layout (whitespace, order) is kept.
	if strings.Count(string(out), "\n") != strings.Count(contactDoc, "\n") {
		t.Errorf("layout changed")
	}
}

func TestRedactIdempotent(t *testing.T) {
	for _, opts := range []Options{
		{},
		{PII: pii.Operator{Kind: pii.HMAC}, HMACKey: bytes.Repeat([]byte{7}, 32), Identifiers: PseudonymiseIdentifiers},
		{PII: pii.Operator{Kind: pii.Mask, KeepLast: 4}},
		{PII: pii.Operator{Kind: pii.Remove}},
	} {
		r := mustNew(t, opts)
		once, err := r.Redact([]byte(contactDoc), KindContact)
		if err != nil {
			t.Fatal(err)
		}
		twice, err := r.Redact(once, KindContact)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(once, twice) {
			t.Errorf("operator %v: redacting twice changed the output:\n%s\n---\n%s", opts.PII.Kind, once, twice)
		}
	}
}

func TestPseudonymsAreStable(t *testing.T) {
	r := mustNew(t, Options{PII: pii.Operator{Kind: pii.HMAC}, HMACKey: bytes.Repeat([]byte{1}, 32), Identifiers: PseudonymiseIdentifiers})
	a, _ := r.Redact([]byte(`{"id":"abc","email":"a@b.co"}`), KindContact)
	b, _ := r.Redact([]byte(`{"email":"a@b.co","id":"abc"}`), KindContact)
	var ma, mb map[string]string
	if err := json.Unmarshal(a, &ma); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &mb); err != nil {
		t.Fatal(err)
	}
	if ma["email"] != mb["email"] || ma["id"] != mb["id"] || ma["id"] == "abc" || !strings.HasPrefix(ma["email"], "[EMAIL:") {
		t.Errorf("pseudonyms: %v vs %v", ma, mb)
	}
	r2 := mustNew(t, Options{PII: pii.Operator{Kind: pii.HMAC}, HMACKey: bytes.Repeat([]byte{2}, 32)})
	c, _ := r2.Redact([]byte(`{"email":"a@b.co"}`), KindContact)
	if bytes.Contains(c, []byte(ma["email"])) {
		t.Errorf("another key gave the same pseudonym")
	}
	if _, err := New(Options{PII: pii.Operator{Kind: pii.HMAC}}); !errors.Is(err, ErrConfig) {
		t.Errorf("HMAC without a key: err = %v, want ErrConfig", err)
	}
}

func TestCustomAttributeConfig(t *testing.T) {
	r := mustNew(t, Options{CustomAttributes: map[string]Field{
		"Favourite-Colour": {Class: ClassPII, Label: LabelPII},
		"ssn":              {Class: ClassSystem},
	}})
	out, err := r.Redact([]byte(`{"custom_attributes":{"favourite_colour":"teal","ssn":"kept on purpose","dob":"1980-01-02"}}`), KindContact)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"custom_attributes":{"favourite_colour":"[PII]","ssn":"kept on purpose","dob":"[DATE_OF_BIRTH]"}}`
	if string(out) != want {
		t.Errorf("got  %s\nwant %s", out, want)
	}
}

func TestRedactConversationAndWebhook(t *testing.T) {
	doc := `{"type":"notification_event","app_id":"ecahpwf5","id":"notif_1","topic":"conversation.user.replied",
"data":{"type":"notification_event_data","item":{"type":"conversation","id":"147","title":"Refund for bob@example.com",
"source":{"type":"conversation","body":"<p>Hi, I am <b>x</b> bob@example.com</p>","author":{"type":"user","id":"5","name":"Bob Smith","email":"bob@example.com"}},
"conversation_parts":{"type":"conversation_part.list","conversation_parts":[{"type":"conversation_part","id":"9","body":"<p>mail bob@example.com</p>","author":{"type":"admin","name":"Agent Amy","email":"amy@corp.example"}}],"total_count":1},
"statistics":{"type":"conversation_statistics","count_reopens":2}}}}`
	r := mustNew(t, Options{})
	out, err := r.Redact([]byte(doc), KindAuto)
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{"bob@", "Bob Smith", "Agent Amy", "amy@"} {
		if bytes.Contains(out, []byte(leak)) {
			t.Errorf("leak %q in %s", leak, out)
		}
	}
	for _, keep := range []string{`"id":"147"`, `"count_reopens":2`, `<p>`, `"topic":"conversation.user.replied"`} {
		if !bytes.Contains(out, []byte(keep)) {
			t.Errorf("lost %s in %s", keep, out)
		}
	}
}

func TestGenericKeyRules(t *testing.T) {
	r := mustNew(t, Options{})
	out, err := r.Redact([]byte(`{"level":"info","msg":"login","user":{"Password":"hunter2","userEmail":"x","hostname":"web-1","api_key":12345},"tokens":[{"refresh_token":"abc"}]}`), KindGeneric)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"level":"info","msg":"login","user":{"Password":"[SECRET]","userEmail":"[EMAIL]","hostname":"web-1","api_key":"[SECRET]"},"tokens":[{"refresh_token":"[SECRET]"}]}`
	if string(out) != want {
		t.Errorf("got  %s\nwant %s", out, want)
	}
}

func TestRedactBadInput(t *testing.T) {
	r := mustNew(t, Options{})
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	_, err := r.Redact([]byte(deep), KindGeneric)
	var de *DepthError
	if !errors.As(err, &de) || !errors.Is(err, ErrTooDeep) || de.Limit != DefaultMaxDepth {
		t.Errorf("deep array: err = %v", err)
	}
	deepObj := strings.Repeat(`{"a":`, 5000) + "1" + strings.Repeat("}", 5000)
	if _, err := r.Redact([]byte(deepObj), KindContact); !errors.Is(err, ErrTooDeep) {
		t.Errorf("deep object: err = %v", err)
	}
	for _, bad := range []string{``, `{`, `{"a"}`, `{"a":1,}`, `[1 2]`, `"\x01"`, `01`, `1.`, `tru`, `{"a":"\u12"}`, `{} {}`, `"\q"`} {
		_, err := r.Redact([]byte(bad), KindGeneric)
		var se *SyntaxError
		if !errors.As(err, &se) || !errors.Is(err, ErrSyntax) {
			t.Errorf("%q: err = %v, want a SyntaxError", bad, err)
		}
		if err != nil && strings.Contains(err.Error(), bad) && len(bad) > 3 {
			t.Errorf("%q: the error quotes the input: %v", bad, err)
		}
	}
	// Invalid UTF-8 and escapes come out valid.
	out, err := r.Redact([]byte("{\"k\xff\":\"v\xfe\xfd\",\"s\":\"\\ud800x\",\"t\":\"\\ud83d\\ude00\"}"), KindGeneric)
	if err != nil {
		t.Fatal(err)
	}
	if !utf8.Valid(out) || !json.Valid(out) {
		t.Errorf("output not valid: %q", out)
	}
}

// TestRedactValueDoesNotMutate deep-compares the input before and after,
// including the nested maps inside custom_attributes.
func TestRedactValueDoesNotMutate(t *testing.T) {
	var in map[string]any
	if err := json.Unmarshal([]byte(contactDoc), &in); err != nil {
		t.Fatal(err)
	}
	var before map[string]any
	_ = json.Unmarshal([]byte(contactDoc), &before)
	r := mustNew(t, Options{})
	outAny, err := r.RedactValue(in, KindContact)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, before) {
		t.Fatalf("RedactValue changed its input")
	}
	out := outAny.(map[string]any)
	if out["email"] != "[EMAIL]" || out["id"] != "6329bd9ffe4e2e91dac76188" {
		t.Errorf("email=%v id=%v", out["email"], out["id"])
	}
	ca := out["custom_attributes"].(map[string]any)
	nested := ca["nested"].(map[string]any)
	if s := nested["deep"].([]any)[0].(string); strings.Contains(s, "jane.deep@") {
		t.Errorf("nested custom attribute not redacted: %q", s)
	}
	// The input's nested map is a different map from the output's.
	inNested := in["custom_attributes"].(map[string]any)["nested"].(map[string]any)
	inNested["marker"] = true
	if _, ok := nested["marker"]; ok {
		t.Errorf("output shares a nested map with the input")
	}
}

type user struct {
	ID    string            `json:"id"`
	Email string            `json:"email"`
	Attrs map[string]string `json:"custom_attributes"`
	Note  *string           `json:"note"`
}

func TestRedactValueStructs(t *testing.T) {
	note := "call 555 or mail u@example.com"
	u := user{ID: "42", Email: "u@example.com", Attrs: map[string]string{"address": "1 Main St"}, Note: &note}
	r := mustNew(t, Options{})
	got, err := r.RedactValue(u, KindContact)
	if err != nil {
		t.Fatal(err)
	}
	m := got.(map[string]any)
	if m["email"] != "[EMAIL]" || m["id"] != "42" || m["custom_attributes"].(map[string]any)["address"] != "[ADDRESS]" {
		t.Errorf("got %v", m)
	}
	if strings.Contains(m["note"].(string), "u@example.com") {
		t.Errorf("unknown field not scanned: %v", m["note"])
	}
	if u.Email != "u@example.com" || u.Attrs["address"] != "1 Main St" || note != "call 555 or mail u@example.com" {
		t.Errorf("the struct was modified")
	}
	if _, err := r.RedactValue(map[string]any{"c": make(chan int)}, KindGeneric); !errors.Is(err, ErrUnsupportedValue) {
		t.Errorf("channel: err = %v", err)
	}
	cyc := map[string]any{}
	cyc["self"] = cyc
	if _, err := r.RedactValue(cyc, KindGeneric); !errors.Is(err, ErrTooDeep) {
		t.Errorf("cycle: err = %v", err)
	}
}

func TestKeyRules(t *testing.T) {
	var zero KeyRules
	for key, want := range map[string]bool{
		"email": true, "User-Email": true, "userEmail": true, "password": true, "db_password": true,
		"Authorization": true, "set-cookie": true, "name": true, "first_name": true, "ip": true,
		"hostname": false, "filename": false, "event_name": false, "zipkin_span": false, "id": false,
		"created_at": false, "tokens_used": false, "level": false, "msg": false,
	} {
		if _, got := zero.Match(key); got != want {
			t.Errorf("Match(%q) = %v, want %v", key, got, want)
		}
	}
	r := NewKeyRules(map[string]Label{"Member-No": LabelNationalID})
	if l, ok := r.Match("member_no"); !ok || l != LabelNationalID {
		t.Errorf("extra key: %v %v", l, ok)
	}
}
