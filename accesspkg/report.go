package accesspkg

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"sort"
	"time"
)

//go:embed report.html.tmpl
var reportTemplate string

var reportTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"fields": fields,
	"date":   formatDate,
	"join": func(s []string) string {
		out := ""
		for i, v := range s {
			if i > 0 {
				out += ", "
			}
			out += v
		}
		return out
	},
	"count": func(c Contact) int { return len(c.Conversations) },
}).Parse(reportTemplate))

// field is one key and value of a record, for display.
type field struct{ Key, Value string }

// fields lists a record's leaves, sorted by key, nested keys dotted.
func fields(r Record) []field {
	flat := map[string]string{}
	flattenInto(flat, "", r)
	out := make([]field, 0, len(flat))
	for k, v := range flat {
		if v == "" {
			continue
		}
		out = append(out, field{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

func formatDate(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2 January 2006, 15:04 UTC")
}

// renderReport renders report.html: one self-contained file, inline CSS only, no
// scripts, fonts, images or links to anything outside the file.
func renderReport(p *Package) ([]byte, error) {
	var buf bytes.Buffer
	if err := reportTmpl.Execute(&buf, p); err != nil {
		return nil, fmt.Errorf("accesspkg: render report: %w", err)
	}
	return buf.Bytes(), nil
}
