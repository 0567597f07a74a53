package auth

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// TestPagesLabelledNoScript renders every page and checks what a screen
// reader and the CSP need: every input has a label, every image an alt
// text, the document a language, and there is no script or inline style.
func TestPagesLabelledNoScript(t *testing.T) {
	if _, err := New(Options{}); err == nil {
		t.Fatal("New without Users must fail")
	}
	pages, err := parsePages()
	if err != nil {
		t.Fatal(err)
	}
	data := page{Title: "T", Error: "E", Email: "a@example.com", OIDC: true, Key: "ABC", Codes: []string{"k7c2x-9fh3q"}, Next: "/", Message: "M"}
	for name, tpl := range pages {
		var buf bytes.Buffer
		if err := tpl.ExecuteTemplate(&buf, "layout", data); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		doc, err := html.Parse(&buf)
		if err != nil {
			t.Fatal(err)
		}
		labels, inputs := map[string]bool{}, []string{}
		var walk func(n *html.Node)
		walk = func(n *html.Node) {
			if n.Type == html.ElementNode {
				attr := map[string]string{}
				for _, a := range n.Attr {
					attr[a.Key] = a.Val
					if strings.HasPrefix(a.Key, "on") || a.Key == "style" {
						t.Errorf("%s: <%s %s> (inline script or style)", name, n.Data, a.Key)
					}
				}
				switch n.Data {
				case "script", "style":
					t.Errorf("%s: a <%s> element", name, n.Data)
				case "label":
					labels[attr["for"]] = true
				case "input":
					if attr["type"] != "hidden" {
						inputs = append(inputs, attr["id"])
					}
				case "img":
					if attr["alt"] == "" {
						t.Errorf("%s: an image without alt text", name)
					}
				case "html":
					if attr["lang"] == "" {
						t.Errorf("%s: no lang", name)
					}
				}
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(doc)
		for _, id := range inputs {
			if id == "" || !labels[id] {
				t.Errorf("%s: input %q has no label", name, id)
			}
		}
	}
}
