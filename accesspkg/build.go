package accesspkg

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed data.schema.json
var schemaJSON []byte

// Schema returns the JSON Schema that data.json follows.
func Schema() []byte { return bytes.Clone(schemaJSON) }

// Manifest lists every file of a package with its digest. It is itself written as
// manifest.json, the one file it does not list.
type Manifest struct {
	SchemaVersion string      `json:"schema_version"`
	RequestID     string      `json:"request_id"`
	GeneratedAt   time.Time   `json:"generated_at"`
	Files         []FileEntry `json:"files"`
}

// FileEntry is one file of a package.
type FileEntry struct {
	Name   string `json:"name"`
	Size   int    `json:"size"`
	SHA256 string `json:"sha256"`
}

// ErrInvalidPackage reports a Package that cannot be built (for example without a
// request id). The message never includes the package's data.
var ErrInvalidPackage = errors.New("accesspkg: invalid package")

// Build writes p as a zip to w and returns its manifest. The zip is deterministic for
// a given Package: entries are in a fixed order and carry p.GeneratedAt as their time.
func Build(p *Package, w io.Writer) (*Manifest, error) {
	if p.RequestID == "" {
		return nil, fmt.Errorf("%w: no request id", ErrInvalidPackage)
	}
	if p.GeneratedAt.IsZero() {
		return nil, fmt.Errorf("%w: no generation time", ErrInvalidPackage)
	}
	if p.SchemaVersion == "" {
		p.SchemaVersion = SchemaVersion
	}
	files, err := render(p)
	if err != nil {
		return nil, err
	}
	m := &Manifest{SchemaVersion: p.SchemaVersion, RequestID: p.RequestID, GeneratedAt: p.GeneratedAt.UTC()}
	for _, f := range files {
		sum := sha256.Sum256(f.data)
		m.Files = append(m.Files, FileEntry{Name: f.name, Size: len(f.data), SHA256: hex.EncodeToString(sum[:])})
	}
	mdata, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	files = append(files, file{"manifest.json", mdata})

	zw := zip.NewWriter(w)
	for _, f := range files {
		hdr := &zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: p.GeneratedAt.UTC()}
		fw, err := zw.CreateHeader(hdr)
		if err != nil {
			return nil, err
		}
		if _, err := fw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return m, nil
}

type file struct {
	name string
	data []byte
}

func render(p *Package) ([]file, error) {
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("accesspkg: encode data.json: %w", err)
	}
	supp, err := json.MarshalIndent(p.Supplementary, "", "  ")
	if err != nil {
		return nil, err
	}
	report, err := renderReport(p)
	if err != nil {
		return nil, err
	}
	files := []file{
		{"data.json", data},
		{"data.schema.json", Schema()},
		{"supplementary.json", supp},
		{"report.html", report},
	}
	csvs, err := renderCSVs(p)
	if err != nil {
		return nil, err
	}
	return append(files, csvs...), nil
}

// renderCSVs writes one CSV per kind of record. Every file is written, with its
// header, even when empty, so a reader can tell "none" from "missing".
func renderCSVs(p *Package) ([]file, error) {
	var out []file
	add := func(name string, header []string, rows [][]string) error {
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		if err := w.Write(header); err != nil {
			return err
		}
		for _, r := range rows {
			for i := range r {
				r[i] = cell(r[i])
			}
			if err := w.Write(r); err != nil {
				return err
			}
		}
		w.Flush()
		if err := w.Error(); err != nil {
			return fmt.Errorf("accesspkg: %s: %w", name, err)
		}
		out = append(out, file{name, buf.Bytes()})
		return nil
	}

	// contacts.csv: one row per contact, profile fields flattened.
	var profRows []map[string]string
	for _, c := range p.Contacts {
		row := map[string]string{
			"contact_id": c.ID, "role": c.Role, "status": c.Status,
			"merged_into": c.MergedInto, "matched_by": strings.Join(c.MatchedBy, " "),
		}
		flattenInto(row, "provided.", c.Provided)
		flattenInto(row, "observed.", c.Observed)
		flattenInto(row, "derived.", c.Derived)
		profRows = append(profRows, row)
	}
	h, rows := table([]string{"contact_id", "role", "status", "merged_into", "matched_by"}, profRows)
	if err := add("contacts.csv", h, rows); err != nil {
		return nil, err
	}

	// One file per attached kind, each row keyed by the contact.
	kinds := []struct {
		name string
		get  func(Contact) []Record
	}{
		{"companies.csv", func(c Contact) []Record { return c.Companies }},
		{"tags.csv", func(c Contact) []Record { return c.Tags }},
		{"segments.csv", func(c Contact) []Record { return c.Segments }},
		{"notes.csv", func(c Contact) []Record { return c.Notes }},
		{"subscriptions.csv", func(c Contact) []Record { return c.Subscriptions }},
		{"events.csv", func(c Contact) []Record { return c.Events }},
		{"tickets.csv", func(c Contact) []Record { return c.Tickets }},
	}
	for _, k := range kinds {
		var maps []map[string]string
		for _, c := range p.Contacts {
			for _, r := range k.get(c) {
				row := map[string]string{"contact_id": c.ID}
				flattenInto(row, "", r)
				maps = append(maps, row)
			}
		}
		h, rows := table([]string{"contact_id"}, maps)
		if err := add(k.name, h, rows); err != nil {
			return nil, err
		}
	}

	// conversations.csv: one row per message.
	var msgRows [][]string
	for _, c := range p.Contacts {
		for _, conv := range c.Conversations {
			for _, m := range conv.Messages {
				msgRows = append(msgRows, []string{c.ID, conv.ID, m.ID, formatTime(m.CreatedAt), m.Kind,
					m.AuthorRole, m.Author, strconv.FormatBool(m.ProvidedBySubject), m.Text})
			}
		}
	}
	if err := add("conversations.csv", []string{"contact_id", "conversation_id", "message_id", "created_at", "kind",
		"author_role", "author", "provided_by_you", "text"}, msgRows); err != nil {
		return nil, err
	}

	var localRows []map[string]string
	for kind, recs := range map[string][]Record{"contact": p.Local.Contacts, "conversation": p.Local.Conversations, "webhook_event": p.Local.WebhookEvents} {
		for _, r := range recs {
			row := map[string]string{"kind": kind}
			flattenInto(row, "", r)
			localRows = append(localRows, row)
		}
	}
	sort.SliceStable(localRows, func(i, j int) bool { return localRows[i]["kind"] < localRows[j]["kind"] })
	h, rows = table([]string{"kind"}, localRows)
	if err := add("local_store.csv", h, rows); err != nil {
		return nil, err
	}
	return out, nil
}

// table turns rows of named cells into a header (fixed columns first, then the rest
// sorted) and positional rows.
func table(fixed []string, maps []map[string]string) ([]string, [][]string) {
	seen := map[string]bool{}
	for _, f := range fixed {
		seen[f] = true
	}
	var extra []string
	for _, m := range maps {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				extra = append(extra, k)
			}
		}
	}
	sort.Strings(extra)
	header := append(append([]string{}, fixed...), extra...)
	rows := make([][]string, 0, len(maps))
	for _, m := range maps {
		r := make([]string, len(header))
		for i, k := range header {
			r[i] = m[k]
		}
		rows = append(rows, r)
	}
	return header, rows
}

// flattenInto writes the scalar leaves of r into row under dotted keys; lists are
// written as JSON.
func flattenInto(row map[string]string, prefix string, r Record) {
	for k, v := range r {
		key := prefix + k
		switch t := v.(type) {
		case map[string]any:
			flattenInto(row, key+".", t)
		case nil:
			row[key] = ""
		case string:
			row[key] = t
		case bool:
			row[key] = strconv.FormatBool(t)
		case float64:
			row[key] = strconv.FormatFloat(t, 'f', -1, 64)
		case json.Number:
			row[key] = t.String()
		default:
			b, err := json.Marshal(t)
			if err != nil {
				row[key] = fmt.Sprint(t)
			} else {
				row[key] = string(b)
			}
		}
	}
}

// cell neutralises spreadsheet formulas: a cell that a spreadsheet would evaluate
// (starting with =, +, -, @, tab or carriage return) gets a leading apostrophe.
func cell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		if _, err := strconv.ParseFloat(s, 64); err == nil {
			return s // a plain negative number
		}
		return "'" + s
	}
	return s
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
