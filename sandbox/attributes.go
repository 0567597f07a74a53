package sandbox

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// DataAttribute is a workspace data attribute of contacts or companies. Custom
// attributes must be defined (POST /data_attributes) before a contact may carry
// them, as in Intercom.
type DataAttribute struct {
	ID          int
	Name        string
	Model       string // "contact" or "company"
	DataType    string // string, integer, float, boolean, date, datetime, options
	Label       string
	Description string
	Options     []string
	Custom      bool
	CreatedAt   int64
}

// dataTypes are the data_type values POST /data_attributes accepts.
var dataTypes = map[string]bool{"string": true, "integer": true, "float": true, "boolean": true, "date": true, "datetime": true, "options": true}

// validAttrName reports whether name is what Intercom accepts as an
// attribute name: 1 to 190 letters, digits, spaces, hyphens, underscores
// and currency symbols. It is the regular expression
// ^[\p{L}\p{N}\p{Sc} _-]{1,190}$ written out: compiling that expression
// (its repetition expands to 190 copies of the class) took 12 ms and 7 MB
// at the start of every command, redact included, though only the sandbox
// uses it.
func validAttrName(name string) bool {
	n := 0
	for _, r := range name {
		n++
		if n > 190 {
			return false
		}
		switch {
		case r == ' ' || r == '_' || r == '-':
		case r == utf8.RuneError:
			// An invalid byte decodes to U+FFFD, which is a symbol, not
			// a letter: the expression refused it too.
			return false
		case unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Sc, r):
		default:
			return false
		}
	}
	return n > 0
}

// builtInContactAttributes are standard (not custom) contact attributes listed by
// GET /data_attributes.
var builtInContactAttributes = []struct{ name, typ, label string }{
	{"name", "string", "Name"}, {"email", "string", "Email"}, {"phone", "string", "Phone"},
	{"external_id", "string", "User ID"}, {"role", "string", "Role"}, {"owner_id", "integer", "Owner"},
	{"created_at", "date", "Signed up"}, {"last_seen_at", "date", "Last seen"},
	{"unsubscribed_from_emails", "boolean", "Unsubscribed from Emails"},
}

// defineAttribute adds an attribute; the caller holds mu (or owns w exclusively).
func (w *Workspace) defineAttribute(a DataAttribute) *DataAttribute {
	w.seq.attr++
	a.ID = w.seq.attr
	if a.Label == "" {
		a.Label = a.Name
	}
	p := &a
	w.attrs = append(w.attrs, p)
	return p
}

// seedAttributes defines the built-in contact attributes and the custom ones the
// generator uses.
func (w *Workspace) seedAttributes(at int64) {
	for _, b := range builtInContactAttributes {
		w.defineAttribute(DataAttribute{Name: b.name, Model: "contact", DataType: b.typ, Label: b.label, CreatedAt: at})
	}
	for _, n := range []string{"plan", "billing_address"} {
		w.defineAttribute(DataAttribute{Name: n, Model: "contact", DataType: "string", Custom: true, CreatedAt: at})
	}
}

// customAttribute returns the custom contact attribute called name. The caller holds
// the lock.
func (w *Workspace) customAttribute(name string) *DataAttribute {
	for _, a := range w.attrs {
		if a.Custom && a.Model == "contact" && a.Name == name {
			return a
		}
	}
	return nil
}

// DataAttributes returns the workspace's data attributes, oldest first.
func (w *Workspace) DataAttributes() []DataAttribute {
	w.mu.RLock()
	defer w.mu.RUnlock()
	out := make([]DataAttribute, len(w.attrs))
	for i, a := range w.attrs {
		out[i] = *a
		out[i].Options = append([]string(nil), a.Options...)
	}
	return out
}

func renderAttribute(a *DataAttribute) map[string]any {
	full := a.Name
	if a.Custom {
		full = "custom_attributes." + a.Name
	}
	// The answer's enum has no datetime or options: Intercom reports them as date and
	// string (a list attribute carries its options).
	dt := a.DataType
	switch dt {
	case "datetime":
		dt = "date"
	case "options":
		dt = "string"
	}
	m := map[string]any{"type": "data_attribute", "name": a.Name, "full_name": full, "label": a.Label,
		"description": a.Description, "data_type": dt, "api_writable": true, "ui_writable": a.Custom,
		"messenger_writable": false, "custom": a.Custom, "archived": false, "model": a.Model}
	if a.Custom {
		m["id"] = a.ID
		m["created_at"] = a.CreatedAt
		m["updated_at"] = a.CreatedAt
	}
	if len(a.Options) > 0 {
		m["options"] = a.Options
	}
	return m
}

// listDataAttributes is GET /data_attributes[?model=contact|company][&include_archived=].
func (s *Server) listDataAttributes(w http.ResponseWriter, r *http.Request) {
	model := r.URL.Query().Get("model")
	switch model {
	case "", "contact", "company":
	case "conversation":
		writeErrorField(w, r, http.StatusBadRequest, "parameter_invalid", "model=conversation is no longer supported. Use GET /conversations/attributes instead", "model")
		return
	default:
		writeErrorField(w, r, http.StatusBadRequest, "parameter_invalid", "model must be contact or company", "model")
		return
	}
	ws := s.ws
	ws.mu.RLock()
	defer ws.mu.RUnlock()
	out := []map[string]any{}
	for _, a := range ws.attrs {
		if model == "" || a.Model == model {
			out = append(out, renderAttribute(a))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"type": "list", "data": out})
}

// createDataAttribute is POST /data_attributes: a custom attribute of contacts or
// companies, with Intercom's 400 parameter_invalid answers.
func (s *Server) createDataAttribute(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var req struct {
		Name        string `json:"name"`
		Model       string `json:"model"`
		DataType    string `json:"data_type"`
		Description string `json:"description"`
		Options     []struct {
			Value string `json:"value"`
		} `json:"options"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, r, http.StatusBadRequest, "parameter_invalid", "the request body must be a JSON object with name, model and data_type")
		return
	}
	switch {
	case req.Model != "contact" && req.Model != "company":
		writeErrorField(w, r, http.StatusBadRequest, "parameter_invalid", "The Data Attribute model field must be either contact or company", "model")
		return
	case !validAttrName(req.Name) || strings.TrimSpace(req.Name) == "":
		writeErrorField(w, r, http.StatusBadRequest, "parameter_invalid", "Your name for this attribute must only contain alphanumeric characters, currency symbols, and hyphens", "name")
		return
	case !dataTypes[req.DataType]:
		writeErrorField(w, r, http.StatusBadRequest, "parameter_invalid", "Data Type isn't an option", "data_type")
		return
	case req.DataType == "options" && len(req.Options) < 2:
		writeErrorField(w, r, http.StatusBadRequest, "parameter_invalid", "A list attribute needs at least two options", "options")
		return
	}
	ws := s.ws
	ws.mu.Lock()
	for _, a := range ws.attrs {
		if strings.EqualFold(a.Name, req.Name) {
			ws.mu.Unlock()
			writeErrorField(w, r, http.StatusBadRequest, "parameter_invalid", "You already have an attribute with this name. Use a different name.", "name")
			return
		}
	}
	a := DataAttribute{Name: req.Name, Model: req.Model, DataType: req.DataType, Description: req.Description,
		Custom: true, CreatedAt: s.opts.Now().Unix()}
	for _, o := range req.Options {
		a.Options = append(a.Options, o.Value)
	}
	p := ws.defineAttribute(a)
	out := renderAttribute(p)
	ws.mu.Unlock()
	s.stats.effect(EffectDataAttributeCreated, strconv.Itoa(p.ID))
	writeJSON(w, http.StatusOK, out)
}

// customValue checks a custom attribute value against its definition and returns
// it as the workspace stores it (text). The caller holds the lock.
func (w *Workspace) customValue(name string, raw json.RawMessage) (string, *apiError) {
	a := w.customAttribute(name)
	if a == nil {
		msg := "Custom attribute '" + name + "' does not exist"
		f := "custom_attributes"
		return "", &apiError{Code: "parameter_not_found", Message: &msg, Field: &f}
	}
	bad := func() (string, *apiError) {
		msg := "Custom attribute '" + name + "' must be of type " + a.DataType
		f := "custom_attributes"
		return "", &apiError{Code: "parameter_invalid", Message: &msg, Field: &f}
	}
	s := strings.TrimSpace(string(raw))
	if s == "null" {
		return "", nil
	}
	switch a.DataType {
	case "string", "options":
		var v string
		if json.Unmarshal(raw, &v) != nil {
			return bad()
		}
		if a.DataType == "options" && !containsString(a.Options, v) {
			return bad()
		}
		return v, nil
	case "integer", "date", "datetime":
		if _, err := strconv.ParseInt(s, 10, 64); err != nil {
			return bad()
		}
		return s, nil
	case "float":
		if _, err := strconv.ParseFloat(s, 64); err != nil || s[0] == '"' {
			return bad()
		}
		return s, nil
	case "boolean":
		if s != "true" && s != "false" {
			return bad()
		}
		return s, nil
	}
	return bad()
}

func containsString(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// customJSON renders a contact's custom attributes with the JSON type of their
// definition. The caller holds the lock.
func (w *Workspace) customJSON(attrs map[string]string) map[string]any {
	out := make(map[string]any, len(attrs))
	for k, v := range attrs {
		a := w.customAttribute(k)
		if a == nil {
			out[k] = v
			continue
		}
		switch a.DataType {
		case "integer", "date", "datetime", "float":
			out[k] = json.Number(v)
		case "boolean":
			out[k] = v == "true"
		default:
			out[k] = v
		}
	}
	return out
}
