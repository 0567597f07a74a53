package intake

import (
	"bytes"
	"errors"
	"mime/multipart"
	"strings"
	"testing"
)

func multipartSeed(fields map[string]string, file []byte) []byte {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.SetBoundary("fuzzboundary")
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	if file != nil {
		w, _ := mw.CreateFormFile("permission", "p.pdf")
		_, _ = w.Write(file)
	}
	_ = mw.Close()
	return buf.Bytes()
}

// FuzzReadMultipart: any body gives a form or an error, never a panic; an
// accepted upload is within the limit and of a sniffed allowed type; the
// fields stay within maxForm.
func FuzzReadMultipart(f *testing.F) {
	f.Add(multipartSeed(map[string]string{"type": "access", "email": "a@b.example", "agent": "yes"}, []byte("%PDF-1.7\n")))
	f.Add(multipartSeed(map[string]string{"agent_name": "<b>x</b>"}, []byte("\x89PNG\r\n\x1a\nxxxx")))
	f.Add(multipartSeed(map[string]string{"type": "a"}, []byte("\xff\xd8\xff\xe0")))
	f.Add(multipartSeed(nil, []byte("GIF89a")))
	f.Add(multipartSeed(map[string]string{"type": "access"}, nil))
	f.Add([]byte("--fuzzboundary\r\nContent-Disposition: form-data; name=\"permission\"; filename=\"a\"\r\n\r\n%PDF"))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, body []byte) {
		form, err := readMultipart(bytes.NewReader(body), "fuzzboundary")
		if err != nil {
			return
		}
		if up := form.Upload; up != nil {
			if len(up.Data) == 0 || len(up.Data) > MaxPermission || !permissionTypes[up.MediaType] {
				t.Fatalf("accepted %s of %d bytes", up.MediaType, len(up.Data))
			}
			if form.UploadErr != nil {
				t.Fatal("an upload and an upload error")
			}
		}
		if form.UploadErr != nil && !errors.Is(form.UploadErr, ErrUploadTooLarge) && !errors.Is(form.UploadErr, ErrUploadType) && !errors.Is(form.UploadErr, ErrUploadEmpty) {
			t.Fatalf("untyped upload error %v", form.UploadErr)
		}
		if n := len(form.Type) + len(form.Email) + len(form.Phone) + len(form.AgentName) + len(form.AgentEmail); n > maxForm {
			t.Fatalf("fields of %d bytes", n)
		}
		_ = checkAgent(form) // never panics
	})
}

// FuzzParseStepUp: any body gives a form or an error.
func FuzzParseStepUp(f *testing.F) {
	for _, s := range []string{"token=abc&action=raise&answer=%2B1+555&declare=yes&full_name=Pat", "action=skip", "answer=%zz", "a=1&a=2", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sf, err := parseStepUp(s)
		if err != nil {
			return
		}
		if sf.Answer != strings.TrimSpace(sf.Answer) || sf.Declared && !strings.Contains(s, "declare=") {
			t.Fatalf("%q -> %+v", s, sf)
		}
	})
}

// FuzzSamePhone: the comparison is symmetric, a number matches itself
// written otherwise, and too short numbers never match.
func FuzzSamePhone(f *testing.F) {
	f.Add("+1 (415) 555-0100", "14155550100")
	f.Add("020 7946 0000", "+44 20 7946 0000")
	f.Add("", "")
	f.Add("12345", "12345")
	f.Fuzz(func(t *testing.T, a, b string) {
		if SamePhone(a, b) != SamePhone(b, a) {
			t.Fatalf("asymmetric: %q %q", a, b)
		}
		if d := strings.TrimLeft(phoneDigits(a), "0"); len(d) >= 6 && !SamePhone(a, "+"+strings.Join(strings.Split(phoneDigits(a), ""), " ")) {
			t.Fatalf("%q does not match itself spaced", a)
		}
		if len(strings.TrimLeft(phoneDigits(a), "0")) < 6 && SamePhone(a, b) {
			t.Fatalf("short %q matched %q", a, b)
		}
	})
}

func TestSameAnswer(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"Blue Whale", "  blue   whale. ", true},
		{"blue", "blue whale", false},
		{"", "", false},
		{"Ünïcode", "ünïcode", true},
	} {
		if got := SameAnswer(c.a, c.b); got != c.want {
			t.Errorf("SameAnswer(%q, %q) = %v", c.a, c.b, got)
		}
	}
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"+1 (415) 555-0100", "14155550100", true},
		{"+1 (415) 555-0100", "415 555 0100", true},
		{"020 7946 0000", "+44 20 7946 0000", true},
		{"+1 415 555 0100", "+1 415 555 0101", false},
		{"555 0100", "1 415 555 0100", false},
	} {
		if got := SamePhone(c.a, c.b); got != c.want {
			t.Errorf("SamePhone(%q, %q) = %v", c.a, c.b, got)
		}
	}
}
