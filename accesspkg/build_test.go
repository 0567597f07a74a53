package accesspkg

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	xhtml "golang.org/x/net/html"

	"github.com/intercom-privacy/intercom-privacy/config"
)

func samplePackage() *Package {
	t0 := time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)
	return &Package{
		RequestID:    "req_0123456789abcdef",
		Jurisdiction: "gdpr",
		ReceivedAt:   t0,
		GeneratedAt:  t0.Add(2 * time.Hour),
		Identifiers:  []Identifier{{Kind: "email", Value: "ada@example.com"}},
		Contacts: []Contact{{
			ID: "6571a0c0e4b0", Role: "user", Status: "active", MatchedBy: []string{"email"},
			Provided: Record{"email": "ada@example.com", "name": "Ada Lovelace", "custom_attributes": map[string]any{"plan": "pro"}},
			Observed: Record{"last_seen_at": float64(1764000000), "location": map[string]any{"city": "London"}},
			Derived:  Record{"segments": []any{"Active"}},
			Tags:     []Record{{"id": "7", "name": "vip"}},
			Notes:    []Record{{"id": "n1", "body": "=HYPERLINK(\"http://evil\")"}},
			Events:   []Record{{"event_name": "login", "created_at": float64(1764000000)}},
			Conversations: []Conversation{{
				ID: "c1", Title: "Card charged twice", CreatedAt: t0, PartsTotal: 2, PartsIncluded: 2,
				Messages: []Message{
					{ID: "m1", Author: "you", AuthorRole: "subject", CreatedAt: t0, Body: "<p>Hello &lt;script&gt;</p>", Text: "Hello <script>alert(1)</script>", ProvidedBySubject: true},
					{ID: "m2", Author: "Sam (support team)", AuthorRole: "teammate", CreatedAt: t0.Add(time.Minute), Body: "<p>Sorry!</p>", Text: "Sorry!"},
				},
			}},
		}},
		Notices:       []Notice{{Code: "events_90_days", Text: "Intercom lists activity events of the last 90 days only."}},
		Supplementary: config.Default().Access,
	}
}

func unzip(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name] = data
	}
	return out
}

func TestBuildManifestMatchesFiles(t *testing.T) {
	var buf bytes.Buffer
	m, err := Build(samplePackage(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	files := unzip(t, buf.Bytes())
	for _, want := range []string{"data.json", "data.schema.json", "report.html", "manifest.json", "supplementary.json",
		"contacts.csv", "conversations.csv", "tickets.csv", "events.csv", "notes.csv", "companies.csv", "tags.csv",
		"segments.csv", "subscriptions.csv", "local_store.csv"} {
		if _, ok := files[want]; !ok {
			t.Errorf("package lacks %s", want)
		}
	}
	var mf Manifest
	if err := json.Unmarshal(files["manifest.json"], &mf); err != nil {
		t.Fatal(err)
	}
	if len(mf.Files) != len(files)-1 || len(m.Files) != len(mf.Files) {
		t.Fatalf("manifest lists %d files, zip has %d besides the manifest", len(mf.Files), len(files)-1)
	}
	for _, e := range mf.Files {
		sum := sha256.Sum256(files[e.Name])
		if hex.EncodeToString(sum[:]) != e.SHA256 || len(files[e.Name]) != e.Size {
			t.Errorf("%s: manifest digest or size does not match the file", e.Name)
		}
	}
}

func TestBuildIsDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	if _, err := Build(samplePackage(), &a); err != nil {
		t.Fatal(err)
	}
	if _, err := Build(samplePackage(), &b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two builds of the same package differ")
	}
}

func TestDataJSONFollowsItsSchema(t *testing.T) {
	var buf bytes.Buffer
	if _, err := Build(samplePackage(), &buf); err != nil {
		t.Fatal(err)
	}
	files := unzip(t, buf.Bytes())
	schemaDoc, err := jsonschema.UnmarshalJSON(bytes.NewReader(files["data.schema.json"]))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("data.schema.json", schemaDoc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("data.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(files["data.json"]))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Fatalf("data.json does not follow data.schema.json: %v", err)
	}
	// The schema is not vacuous: a contact without an id is refused.
	var doc map[string]any
	_ = json.Unmarshal(files["data.json"], &doc)
	delete(doc["contacts"].([]any)[0].(map[string]any), "id")
	if err := sch.Validate(doc); err == nil {
		t.Fatal("schema accepted a contact without an id")
	}
}

func TestReportIsSelfContainedAndEscaped(t *testing.T) {
	var buf bytes.Buffer
	if _, err := Build(samplePackage(), &buf); err != nil {
		t.Fatal(err)
	}
	html := string(unzip(t, buf.Bytes())["report.html"])
	if problems := externalReferences(html); len(problems) > 0 {
		t.Fatalf("report.html refers outside itself: %v", problems)
	}
	if !strings.Contains(html, "Hello &lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("message text was not escaped")
	}
	for _, want := range []string{"Ada Lovelace", "Card charged twice", "Sam (support team)", "supervisory authority", "last 90 days"} {
		if !strings.Contains(html, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
}

func TestCSVNeutralisesFormulas(t *testing.T) {
	var buf bytes.Buffer
	if _, err := Build(samplePackage(), &buf); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(unzip(t, buf.Bytes())["notes.csv"])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range rows[1:] {
		for _, c := range r {
			if strings.HasPrefix(c, "=") {
				t.Fatalf("formula cell %q not neutralised", c)
			}
			if strings.HasPrefix(c, "'=HYPERLINK") {
				found = true
			}
		}
	}
	if !found {
		t.Fatal("note body missing from notes.csv")
	}
	if cell("-12.5") != "-12.5" || cell("-x") != "'-x" || cell("+1 555") != "'+1 555" {
		t.Fatal("cell escaping rules")
	}
}

func TestBuildRefusesIncompletePackage(t *testing.T) {
	p := samplePackage()
	p.RequestID = ""
	if _, err := Build(p, io.Discard); !errors.Is(err, ErrInvalidPackage) {
		t.Fatalf("err = %v", err)
	}
}

// externalReferences lists every element or attribute of an HTML document that could
// load or link anything: scripts, stylesheets, images, frames, forms, src/href
// attributes, and url() or @import in inline CSS.
func externalReferences(doc string) []string {
	var problems []string
	z := xhtml.NewTokenizer(strings.NewReader(doc))
	inStyle := false
	for {
		switch z.Next() {
		case xhtml.ErrorToken:
			return problems
		case xhtml.StartTagToken, xhtml.SelfClosingTagToken:
			tok := z.Token()
			switch tok.Data {
			case "script", "link", "img", "iframe", "object", "embed", "form", "video", "audio", "source", "base":
				problems = append(problems, "<"+tok.Data+">")
			case "style":
				inStyle = true
			}
			for _, a := range tok.Attr {
				switch a.Key {
				case "href":
					if !strings.HasPrefix(a.Val, "#") { // links within the page are fine
						problems = append(problems, a.Key+"=")
					}
				case "src", "action", "srcset", "poster", "background":
					problems = append(problems, a.Key+"=")
				case "style":
					if strings.Contains(a.Val, "url(") {
						problems = append(problems, "style url(")
					}
				}
			}
		case xhtml.EndTagToken:
			inStyle = false
		case xhtml.TextToken:
			if inStyle {
				css := string(z.Text())
				if strings.Contains(css, "url(") || strings.Contains(css, "@import") {
					problems = append(problems, "CSS url()/@import")
				}
			}
		}
	}
}
