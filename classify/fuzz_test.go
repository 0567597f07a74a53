package classify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"unicode/utf8"

	"github.com/intercom-privacy/intercom-privacy/pii"
)

var fuzzSeeds = []string{
	contactDoc,
	`{"email":"a@b.co","msg":"card 4111 1111 1111 1111 ip 8.8.8.8","n":4111111111111111}`,
	`[{"type":"conversation","source":{"body":"<a href=\"mailto:x@y.org\">x@y.org</a>"}}]`,
	`{"type":"notification_event","data":{"item":{"type":"contact","email":"q@w.io","custom_attributes":{"ssn":"078-05-1120"}}}}`,
	`{"k\u0040":"\ud83d\ude00 \u0061@b.co","\"":[true,false,null,-0.5e+3]}`,
	"{\"a\":\"\xff\xfe\"}",
	`"x@y.com"`,
	`{"password":{"nested":["s3cr3t"]}}`,
	`{"a@b.co":{"c@d.co":1}}`,
	`{"a":"+44 20","b":"7946 0958","c":4111111111111111,"d":"DE89 3704 0044 0532 0130 00"}`,
	`{"msg":"password: hunter2","ip":"8.8.8.8","t":"call +1 415 555 0123"}`,
	`{"a1":"4111 1111 1111 1111","n":[12,4111111111111111],"v":"DE89370400440532013000"}`,
	`{"ip":"1.2","x":"3.4.5.6","e":"jane","d":"@example.com","s":"078-05-1121"}`,
	`{"dob":"born on","d":"1990-02-03","k":"ghp_16C7e42F292c6912E7710c838347Ae178B4a"}`,
}

func fuzzRedactor(t *testing.T) (*Redactor, *pii.Engine) {
	e, err := pii.NewEngine(pii.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pr, err := pii.NewRedactor(e, pii.Policy{})
	if err != nil {
		t.Fatal(err)
	}
	return mustNew(t, Options{Content: pr}), e
}

// FuzzRedactGeneric checks that the output of a generic document is valid
// UTF-8 and JSON, and that no value the engine detects survives in any
// key, string or number of the output.
func FuzzRedactGeneric(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		r, e := fuzzRedactor(t)
		out, err := r.Redact(doc, KindGeneric)
		if err != nil {
			if json.Valid(doc) && !errors.Is(err, ErrTooDeep) {
				// Only depth can fail a valid document.
				t.Fatalf("valid document rejected: %v", err)
			}
			if !json.Valid(doc) && !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrTooDeep) {
				t.Fatalf("unexpected error type: %v", err)
			}
			return
		}
		if !utf8.Valid(out) || !json.Valid(out) {
			t.Fatalf("invalid output %q for %q", out, doc)
		}
		dec := json.NewDecoder(bytes.NewReader(out))
		dec.UseNumber()
		var tree any
		if err := dec.Decode(&tree); err != nil {
			t.Fatalf("decode output: %v", err)
		}
		walkStrings(tree, func(s string) {
			if fs := e.FindString(s, nil); len(fs) > 0 {
				t.Fatalf("detected %s survives in %q (input %q)", fs[0].Type, s, doc)
			}
		})
	})
}

// FuzzRedactContact checks the table-driven path: no panic, valid output,
// and redaction is idempotent.
func FuzzRedactContact(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s), uint8(KindContact))
	}
	f.Add([]byte(`{"type":"list","data":[{"type":"ticket","ticket_attributes":{"dob":"1990-01-01"}}]}`), uint8(KindAuto))
	f.Fuzz(func(t *testing.T, doc []byte, k uint8) {
		r, _ := fuzzRedactor(t)
		kind := ObjectKind(k % uint8(numKinds))
		out, err := r.Redact(doc, kind)
		if err != nil {
			return
		}
		if !utf8.Valid(out) || !json.Valid(out) {
			t.Fatalf("invalid output %q for %q", out, doc)
		}
		again, err := r.Redact(out, kind)
		if err != nil {
			t.Fatalf("redacting the output failed: %v", err)
		}
		if !bytes.Equal(again, out) {
			t.Fatalf("not idempotent:\n%q\n%q", out, again)
		}
		var tree any
		_ = json.Unmarshal(doc, &tree)
		if _, err := r.RedactValue(tree, kind); err != nil && json.Valid(doc) {
			t.Fatalf("RedactValue of a decoded document: %v", err)
		}
	})
}

func walkStrings(v any, fn func(string)) {
	switch x := v.(type) {
	case string:
		fn(x)
	case json.Number:
		fn(x.String())
	case map[string]any:
		for k, el := range x {
			fn(k)
			walkStrings(el, fn)
		}
	case []any:
		for _, el := range x {
			walkStrings(el, fn)
		}
	case nil, bool:
	default:
		fn(fmt.Sprint(x))
	}
}
