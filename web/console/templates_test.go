package console

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

// withFile returns the embedded templates with one file replaced or added.
func withFile(t *testing.T, name, text string) fs.FS {
	t.Helper()
	m := fstest.MapFS{}
	err := fs.WalkDir(templateFS, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(templateFS, path)
		m[path] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	m[name] = &fstest.MapFile{Data: []byte(text)}
	return m
}

// TestTemplatesFailAtStart: a template that does not parse, a page without
// its main block, or a template no page uses stops New (and so serve) with
// ErrConfig instead of failing on the first page view.
func TestTemplatesFailAtStart(t *testing.T) {
	assets, err := loadAssets()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parseViews(templateFS, assets); err != nil {
		t.Fatalf("the embedded templates: %v", err)
	}
	for _, c := range []struct {
		name, file, text, want string
	}{
		{"syntax", "templates/dashboard.html", `{{define "main"}}{{if .Overdue}}{{end}`, "dashboard.html"},
		{"unknown function", "templates/audit.html", `{{define "main"}}{{nosuch .Report}}{{end}}`, "nosuch"},
		{"no main block", "templates/users.html", `<p>users</p>`, `defines no "main" block`},
		{"unused file", "templates/stray.html", `{{define "main"}}{{end}}`, "stray.html is not used"},
	} {
		_, err := parseViews(withFile(t, c.file, c.text), assets)
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want ErrConfig naming %q", c.name, err, c.want)
		}
	}
}
