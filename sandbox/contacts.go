package sandbox

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
)

func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, http.StatusNotFound, "not_found", "Resource Not Found")
	})
	m.HandleFunc("GET /me", s.me)
	m.HandleFunc("GET /contacts", s.listContacts)
	m.HandleFunc("POST /contacts", s.createContact)
	m.HandleFunc("PUT /contacts/{id}", s.updateContact)
	m.HandleFunc("POST /contacts/{id}/tags", s.tagContact)
	m.HandleFunc("DELETE /contacts/{id}/tags/{tag}", s.untagContact)
	m.HandleFunc("POST /contacts/{id}/subscriptions", s.setSubscription)
	m.HandleFunc("POST /contacts/{id}/notes", s.createNote)
	m.HandleFunc("GET /data_attributes", s.listDataAttributes)
	m.HandleFunc("POST /data_attributes", s.createDataAttribute)
	m.HandleFunc("POST /conversations", s.createConversation)
	m.HandleFunc("POST /conversations/{id}/reply", s.replyConversation)
	m.HandleFunc("POST /conversations/{id}/tags", s.tagConversation)
	m.HandleFunc("POST /events", s.createEvent)
	m.HandleFunc("POST /contacts/search", s.searchContacts)
	m.HandleFunc("GET /contacts/{id}", s.getContact)
	m.HandleFunc("DELETE /contacts/{id}", s.deleteContact)
	m.HandleFunc("POST /contacts/{id}/archive", s.archiveContact)
	m.HandleFunc("POST /contacts/{id}/unarchive", s.unarchiveContact)
	m.HandleFunc("POST /contacts/merge", s.mergeContacts)
	// One pattern for the sub-resources and find_by_external_id, which ServeMux cannot
	// tell apart by specificity; routeKey names them for Stats.
	m.HandleFunc("GET /contacts/{id}/{sub}", s.contactSub)
	m.HandleFunc("POST /conversations/search", s.searchConversations)
	m.HandleFunc("GET /conversations/{id}", s.getConversation)
	m.HandleFunc("DELETE /conversations/{id}", s.deleteConversation)
	m.HandleFunc("POST /conversations/redact", s.redact)
	m.HandleFunc("POST /tickets/search", s.searchTickets)
	m.HandleFunc("GET /tickets/{id}", s.getTicket)
	m.HandleFunc("POST /tickets", s.createTicket)
	m.HandleFunc("POST /tickets/{id}/reply", s.replyTicket)
	m.HandleFunc("DELETE /tickets/{id}", s.deleteTicket)
	m.HandleFunc("GET /events", s.listEvents)
	m.HandleFunc("POST /export/content/data", s.createExport)
	m.HandleFunc("GET /export/content/data/{id}", s.exportStatus)
	m.HandleFunc("POST /export/cancel/{id}", s.cancelExport)
	m.HandleFunc("GET /download/content/data/{id}", s.download)
	m.HandleFunc("GET /download/messages/data/{id}", s.download)
	s.mux = m
}

// readBody reads a JSON request body of at most maxBodyBytes. It answers the error
// itself and returns ok=false when the body is unusable.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	b, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, r, http.StatusRequestEntityTooLarge, "parameter_invalid", "The request body is too large")
		} else {
			writeError(w, r, http.StatusBadRequest, "bad_request", "The request body could not be read")
		}
		return nil, false
	}
	return b, true
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	ws := s.ws
	ws.mu.RLock()
	a := *ws.admins[0]
	ws.mu.RUnlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"type": "admin", "id": a.ID, "email": a.Email, "name": a.Name, "job_title": a.JobTitle,
		"email_verified": true, "has_inbox_seat": true, "away_mode_enabled": false, "away_mode_reassign": false,
		"team_ids": []int{}, "avatar": map[string]any{"type": "avatar", "image_url": nil},
		"app": map[string]any{"type": "app", "id_code": ws.appID, "name": "Sandbox Workspace", "region": "US",
			"timezone": "UTC", "created_at": ws.anchor.Unix() - 900*day, "identity_verification": false},
	})
}

// contactFields are the searchable contact fields.
var contactFields = map[string]fieldSpec[*Contact]{
	"id":                  {kString, func(c *Contact) []value { return str(c.ID) }},
	"role":                {kString, func(c *Contact) []value { return str(c.Role) }},
	"name":                {kString, func(c *Contact) []value { return str(c.Name) }},
	"email":               {kString, func(c *Contact) []value { return str(c.Email) }},
	"email_domain":        {kString, func(c *Contact) []value { return str(emailDomain(c.Email)) }},
	"phone":               {kString, func(c *Contact) []value { return str(c.Phone) }},
	"formatted_phone":     {kString, func(c *Contact) []value { return str(formatPhone(c.Phone)) }},
	"external_id":         {kString, func(c *Contact) []value { return str(c.ExternalID) }},
	"owner_id":            {kString, func(c *Contact) []value { return str(c.OwnerID) }},
	"created_at":          {kDate, func(c *Contact) []value { return date(c.CreatedAt) }},
	"updated_at":          {kDate, func(c *Contact) []value { return date(c.UpdatedAt) }},
	"signed_up_at":        {kDate, func(c *Contact) []value { return date(c.SignedUpAt) }},
	"last_seen_at":        {kDate, func(c *Contact) []value { return date(c.LastSeenAt) }},
	"location.country":    {kString, func(c *Contact) []value { return str(c.Location.Country) }},
	"location.region":     {kString, func(c *Contact) []value { return str(c.Location.Region) }},
	"location.city":       {kString, func(c *Contact) []value { return str(c.Location.City) }},
	"segment_id":          {kIDs, func(c *Contact) []value { return ids(c.SegmentIDs) }},
	"tag_id":              {kIDs, func(c *Contact) []value { return ids(c.TagIDs) }},
	"custom_attributes.*": {kString, nil},
}

func (c *Contact) customAttr(name string) []value { return str(c.CustomAttributes[name]) }

func emailDomain(e string) string {
	_, d, _ := strings.Cut(e, "@")
	return d
}

// formatPhone is the E.164 form Intercom derives from a phone number: digits only,
// with a leading +.
func formatPhone(p string) string {
	if p == "" {
		return ""
	}
	var b strings.Builder
	b.WriteByte('+')
	for _, c := range p {
		if c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	return b.String()
}

var contactDates = dateRules{}

type contactList struct {
	Type       string        `json:"type"`
	Data       []contactJSON `json:"data"`
	TotalCount int           `json:"total_count"`
	Pages      cursorPages   `json:"pages"`
}

func contactKey(c *Contact) (string, int64) { return "", c.CreatedAt }
func contactID(c *Contact) string           { return c.ID }

// listContacts is GET /contacts: live contacts (archived and merged excluded), oldest
// first, 10 a page by default, the cursor in the query.
func (s *Server) listContacts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	perPage, ok := queryPerPage(w, r, q, 10)
	if !ok {
		return
	}
	var cur *cursor
	if v := q.Get("starting_after"); v != "" {
		c, err := decodeCursor(v, "contacts")
		if err != nil {
			writeErrorField(w, r, http.StatusBadRequest, "parameter_invalid", "starting_after is not a valid cursor", "starting_after")
			return
		}
		cur = &c
	}
	ws := s.ws
	ws.mu.RLock()
	defer ws.mu.RUnlock()
	// contactOrder is sorted by (created_at, id), the list's order: find the cursor by
	// binary search and collect one page, so a walk is linear in the list's length.
	isLive := func(c *Contact) bool { return !ws.deleted[c.ID] && live(c) }
	total := ws.liveCount
	start, pageNo := 0, 1
	if cur != nil {
		pageNo = cur.Page + 1
		start = sort.Search(len(ws.contactOrder), func(i int) bool {
			c := ws.contactOrder[i]
			return cmpKey("", c.CreatedAt, c.ID, "", cur.SortN, cur.ID) > 0
		})
	}
	out := contactList{Type: "list", Data: make([]contactJSON, 0, perPage), TotalCount: total,
		Pages: cursorPages{Type: "pages", Page: pageNo, PerPage: perPage, TotalPages: max(1, (total+perPage-1)/perPage)}}
	var last *Contact
	more := false
	for _, c := range ws.contactOrder[start:] {
		if !isLive(c) {
			continue
		}
		if len(out.Data) == perPage {
			more = true
			break
		}
		out.Data = append(out.Data, ws.renderContact(c, false))
		last = c
	}
	if more {
		out.Pages.Next = &pagesNext{PerPage: perPage, StartingAfter: encodeCursor(cursor{Kind: "contacts", Page: pageNo, ID: last.ID, SortN: last.CreatedAt})}
	}
	writeJSON(w, http.StatusOK, out)
}

func writeSearchError(w http.ResponseWriter, r *http.Request, err error) {
	var se *searchError
	if errors.As(err, &se) {
		writeError(w, r, http.StatusBadRequest, se.Code, se.Message)
		return
	}
	writeError(w, r, http.StatusBadRequest, "parameter_invalid", "starting_after is not a valid cursor")
}

// sortItems sorts matched items by the search's sort field (default created_at),
// then id, and returns the key function to page them with.
func sortItems[T any](items []T, fields map[string]fieldSpec[T], field string, desc bool, id func(T) string) func(T) (string, int64) {
	spec := fields[field]
	key := func(x T) (string, int64) {
		v := spec.get(x)
		if len(v) == 0 {
			return "", 0
		}
		if v[0].kind == 's' {
			return v[0].s, 0
		}
		return "", v[0].n
	}
	slices.SortStableFunc(items, func(a, b T) int {
		sa, na := key(a)
		sb, nb := key(b)
		c := cmpKey(sa, na, id(a), sb, nb, id(b))
		if desc {
			return -c
		}
		return c
	})
	return key
}

// searchContacts is POST /contacts/search: live contacts only, the cursor in the body
// (a starting_after in the query string is ignored, as Intercom ignores it).
func (s *Server) searchContacts(w http.ResponseWriter, r *http.Request) {
	sr, cur, ok := readSearch(w, r, contactFields, contactDates, 50, "contacts.search")
	if !ok {
		return
	}
	ws := s.ws
	ws.mu.RLock()
	defer ws.mu.RUnlock()
	candidates := ws.contactOrder
	if emails, ok := indexedValues(sr.query, "email"); ok {
		// The usual DSAR query (email = X): scan only the contacts with that email.
		candidates = nil
		for _, e := range emails {
			candidates = append(candidates, ws.byEmail[strings.ToLower(e)]...)
		}
		slices.SortFunc(candidates, cmpContact)
		candidates = slices.CompactFunc(candidates, func(a, b *Contact) bool { return a == b })
	}
	var items []*Contact
	for _, c := range candidates {
		if !ws.deleted[c.ID] && live(c) && match(sr.query, c, contactFields, contactDates) {
			items = append(items, c)
		}
	}
	key := contactKey
	if sr.sortField != "" && (sr.sortField != "created_at" || sr.desc) {
		key = sortItems(items, contactFields, sr.sortField, sr.desc, contactID)
	}
	pg, pages := page(items, sr.perPage, cur, "contacts.search", key, contactID, sr.desc)
	out := contactList{Type: "list", Data: make([]contactJSON, 0, len(pg)), TotalCount: len(items), Pages: pages}
	for _, c := range pg {
		out.Data = append(out.Data, ws.renderContact(c, false))
	}
	writeJSON(w, http.StatusOK, out)
}

// lookup finds a contact for GET-like endpoints and answers Intercom's error when it
// cannot be shown: 404 for unknown, deleted and archived contacts; 410 with a Link to
// the canonical contact for merged ones from version 2.16 (404 before).
func (s *Server) lookup(w http.ResponseWriter, r *http.Request, c *Contact, notFound string) bool {
	ws := s.ws
	if c == nil || ws.deleted[c.ID] || c.Archived {
		writeError(w, r, http.StatusNotFound, "not_found", notFound)
		return false
	}
	if c.MergedInto != "" {
		if versionOf(r) < 216 {
			writeError(w, r, http.StatusNotFound, "not_found", notFound)
			return false
		}
		canonical := c.MergedInto
		for hop := 0; hop < 3; hop++ {
			next, ok := ws.contacts[canonical]
			if !ok || next.MergedInto == "" {
				break
			}
			canonical = next.MergedInto
		}
		w.Header().Set("Link", "</contacts/"+canonical+`>; rel="canonical"`)
		writeError(w, r, http.StatusGone, "contact_merged", "This contact has been merged. See the 'Link' header for the canonical contact.")
		return false
	}
	return true
}

func (s *Server) getContact(w http.ResponseWriter, r *http.Request) {
	ws := s.ws
	ws.mu.RLock()
	defer ws.mu.RUnlock()
	c := ws.contacts[r.PathValue("id")]
	if !s.lookup(w, r, c, "User Not Found") {
		return
	}
	writeJSON(w, http.StatusOK, s.withMergeHistory(r, c, ws.renderContact(c, true)))
}

var contactSubs = map[string]func(*Server, http.ResponseWriter, *http.Request){
	"tags": ofContact(contactTags), "segments": ofContact(contactSegments), "companies": numberedOfContact(contactCompanies, false),
	"notes": numberedOfContact(contactNotes, true), "subscriptions": ofContact(contactSubscriptions),
	"merge_history": (*Server).mergeHistory,
}

// routeKey names the endpoint a request was routed to, for Stats and version checks.
func routeKey(pattern string, r *http.Request) string {
	switch pattern {
	case "", "/":
		return "UNMATCHED"
	case "GET /contacts/{id}/{sub}":
		if r.PathValue("id") == "find_by_external_id" {
			return "GET /contacts/find_by_external_id/{external_id}"
		}
		if _, ok := contactSubs[r.PathValue("sub")]; ok {
			return "GET /contacts/{id}/" + r.PathValue("sub")
		}
		return "UNMATCHED"
	}
	return pattern
}

func (s *Server) contactSub(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("id") == "find_by_external_id" {
		s.findByExternalID(w, r)
		return
	}
	if f, ok := contactSubs[r.PathValue("sub")]; ok {
		f(s, w, r)
		return
	}
	writeError(w, r, http.StatusNotFound, "not_found", "Resource Not Found")
}

func (s *Server) findByExternalID(w http.ResponseWriter, r *http.Request) {
	ws := s.ws
	ws.mu.RLock()
	defer ws.mu.RUnlock()
	c := ws.byExternal[r.PathValue("sub")]
	if !s.lookup(w, r, c, "User Not Found") {
		return
	}
	writeJSON(w, http.StatusOK, s.withMergeHistory(r, c, ws.renderContact(c, true)))
}

type contactReference struct {
	Type       string  `json:"type"`
	ID         string  `json:"id"`
	ExternalID *string `json:"external_id"`
	Deleted    *bool   `json:"deleted,omitempty"`
	Archived   *bool   `json:"archived,omitempty"`
}

// deleteContact is DELETE /contacts/{id}: the permanent delete. It works on archived
// and merged contacts too, and takes the contact's conversations (those it opened),
// notes, tags and events with it.
func (s *Server) deleteContact(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	ws := s.ws
	ws.mu.Lock()
	c, ok := ws.contacts[id]
	if !ok {
		ws.mu.Unlock()
		writeError(w, r, http.StatusNotFound, "not_found", "User Not Found")
		return
	}
	item := contactItem(c)
	ws.deleteContactLocked(c)
	ws.mu.Unlock()
	s.stats.effect(EffectContactDeleted, id)
	s.notify("contact.deleted", item)
	t := true
	writeJSON(w, http.StatusOK, contactReference{Type: "contact", ID: id, ExternalID: ptr(c.ExternalID), Deleted: &t})
}

func (ws *Workspace) deleteContactLocked(c *Contact) {
	if live(c) {
		ws.liveCount--
	}
	delete(ws.contacts, c.ID)
	ws.deleted[c.ID] = true
	if ws.byExternal[c.ExternalID] == c {
		delete(ws.byExternal, c.ExternalID)
	}
	for _, cid := range ws.convsOf[c.ID] {
		conv, ok := ws.convs[cid]
		if !ok {
			continue
		}
		if conv.ContactIDs[0] == c.ID {
			delete(ws.convs, cid)
			continue
		}
		conv.ContactIDs = slices.DeleteFunc(slices.Clone(conv.ContactIDs), func(x string) bool { return x == c.ID })
	}
	delete(ws.convsOf, c.ID)
	for _, nid := range ws.notesOf[c.ID] {
		delete(ws.notes, nid)
	}
	delete(ws.notesOf, c.ID)
	delete(ws.events, c.ID)
}

func (s *Server) archiveContact(w http.ResponseWriter, r *http.Request)   { s.setArchived(w, r, true) }
func (s *Server) unarchiveContact(w http.ResponseWriter, r *http.Request) { s.setArchived(w, r, false) }

func (s *Server) setArchived(w http.ResponseWriter, r *http.Request, archived bool) {
	id := r.PathValue("id")
	ws := s.ws
	ws.mu.Lock()
	c, ok := ws.contacts[id]
	if !ok {
		ws.mu.Unlock()
		writeError(w, r, http.StatusNotFound, "not_found", "User Not Found")
		return
	}
	changed := c.Archived != archived
	wasLive := live(c)
	c.Archived = archived
	if wasLive != live(c) {
		if wasLive {
			ws.liveCount--
		} else {
			ws.liveCount++
		}
	}
	item := contactItem(c)
	ext := c.ExternalID
	ws.mu.Unlock()
	if changed {
		if archived {
			s.stats.effect(EffectContactArchived, id)
			s.notify("contact.archived", item)
		} else {
			s.stats.effect(EffectContactUnarchived, id)
			s.notify("contact.unarchived", item)
		}
	}
	writeJSON(w, http.StatusOK, contactReference{Type: "contact", ID: id, ExternalID: ptr(ext), Archived: &archived})
}

// mergeContacts is POST /contacts/merge: from must be a lead and into a user; from
// 2.16 they must share an email or phone unless skip_duplicate_validation is set.
func (s *Server) mergeContacts(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var req struct {
		From                    string `json:"from"`
		Into                    string `json:"into"`
		SkipDuplicateValidation bool   `json:"skip_duplicate_validation"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.From == "" || req.Into == "" {
		writeError(w, r, http.StatusBadRequest, "parameter_invalid", "from and into are required contact ids")
		return
	}
	ws := s.ws
	ws.mu.Lock()
	from, okf := ws.contacts[req.From]
	into, oki := ws.contacts[req.Into]
	switch {
	case !okf || !oki || !live(from) || !live(into):
		ws.mu.Unlock()
		writeError(w, r, http.StatusNotFound, "not_found", "User Not Found")
		return
	case from.ID == into.ID || from.Role != "lead" || into.Role != "user":
		ws.mu.Unlock()
		writeError(w, r, http.StatusBadRequest, "invalid_merge", "from must be a lead and into must be a user")
		return
	case versionOf(r) >= 216 && !req.SkipDuplicateValidation &&
		!(from.Email != "" && strings.EqualFold(from.Email, into.Email)) && !(from.Phone != "" && from.Phone == into.Phone):
		ws.mu.Unlock()
		writeError(w, r, http.StatusBadRequest, "invalid_merge", "The contacts are not duplicates (no matching email or phone)")
		return
	}
	ws.merge(from, into, s.opts.Now().Unix())
	ws.liveCount--
	for _, cid := range ws.convsOf[from.ID] {
		if conv, ok := ws.convs[cid]; ok {
			for i, x := range conv.ContactIDs {
				if x == from.ID {
					conv.ContactIDs = slices.Clone(conv.ContactIDs)
					conv.ContactIDs[i] = into.ID
				}
			}
			ws.convsOf[into.ID] = append(ws.convsOf[into.ID], cid)
		}
	}
	out := ws.renderContact(into, true)
	item := contactItem(into)
	ws.mu.Unlock()
	s.stats.effect(EffectContactMerged, req.From)
	s.notify("contact.merged", item)
	writeJSON(w, http.StatusOK, out)
}

// ofContact makes the handler of a sub-resource that lists something of one contact:
// it takes the read lock, answers 404 or 410 for a contact that cannot be shown
// (contactFor), and otherwise answers what list returns.
func ofContact(list func(ws *Workspace, c *Contact) any) func(*Server, http.ResponseWriter, *http.Request) {
	return func(s *Server, w http.ResponseWriter, r *http.Request) {
		ws := s.ws
		ws.mu.RLock()
		defer ws.mu.RUnlock()
		c, ok := s.contactFor(w, r)
		if !ok {
			return
		}
		writeJSON(w, http.StatusOK, list(ws, c))
	}
}

// contactFor looks up a live contact for a sub-resource, answering 404 "User Not Found"
// (or 410 for a merged contact from 2.16). The caller holds the read lock.
func (s *Server) contactFor(w http.ResponseWriter, r *http.Request) (*Contact, bool) {
	c := s.ws.contacts[r.PathValue("id")]
	if !s.lookup(w, r, c, "User Not Found") {
		return nil, false
	}
	return c, true
}

func contactTags(ws *Workspace, c *Contact) any {
	out := []tagJSON{}
	for _, id := range c.TagIDs {
		if t, ok := ws.tags[id]; ok {
			at := c.CreatedAt
			out = append(out, tagJSON{Type: "tag", ID: t.ID, Name: t.Name, AppliedAt: &at, AppliedBy: &refJSON{Type: "admin", ID: ptr(c.OwnerID)}})
		}
	}
	return map[string]any{"type": "list", "data": out}
}

func contactSegments(ws *Workspace, c *Contact) any {
	out := []map[string]any{}
	for _, id := range c.SegmentIDs {
		if sg, ok := ws.segments[id]; ok {
			out = append(out, map[string]any{"type": "segment", "id": sg.ID, "name": sg.Name, "created_at": sg.CreatedAt,
				"updated_at": sg.UpdatedAt, "person_type": sg.PersonType})
		}
	}
	return map[string]any{"type": "list", "data": out}
}

func contactCompanies(ws *Workspace, c *Contact) []any {
	out := []any{}
	for _, id := range c.CompanyIDs {
		if co, ok := ws.comps[id]; ok {
			out = append(out, map[string]any{"type": "company", "id": co.ID, "company_id": co.CompanyID, "name": co.Name,
				"app_id": ws.appID, "created_at": co.CreatedAt, "updated_at": co.UpdatedAt, "size": co.Size,
				"website": co.Website, "industry": co.Industry, "custom_attributes": map[string]any{},
				"plan": map[string]any{"type": "plan", "id": "plan_" + strings.ToLower(co.Plan), "name": co.Plan}})
		}
	}
	return out
}

func contactNotes(ws *Workspace, c *Contact) []any {
	out := []any{}
	for _, nid := range ws.liveNotes(c.ID) {
		out = append(out, ws.renderNote(ws.notes[nid]))
	}
	return out
}

// renderNote is a note as GET /contacts/{id}/notes and POST /contacts/{id}/notes
// answer it. The caller holds the lock.
func (ws *Workspace) renderNote(n *Note) map[string]any {
	var author map[string]any
	for _, a := range ws.admins {
		if a.ID == n.AuthorID {
			author = map[string]any{"type": "admin", "id": a.ID, "name": a.Name, "email": a.Email,
				"away_mode_enabled": false, "away_mode_reassign": false, "has_inbox_seat": true, "team_ids": []int{}}
		}
	}
	return map[string]any{"type": "note", "id": n.ID, "created_at": n.CreatedAt,
		"contact": map[string]any{"type": "contact", "id": n.ContactID}, "author": author, "body": n.Body}
}

func contactSubscriptions(ws *Workspace, c *Contact) any {
	out := []map[string]any{}
	for _, st := range c.Subscriptions {
		for _, t := range ws.subTypes {
			if t.ID == st.SubscriptionID {
				tr := map[string]any{"name": t.Name, "description": t.Description, "locale": "en"}
				out = append(out, map[string]any{"type": "subscription", "id": t.ID, "state": "live",
					"consent_type": st.Consent, "default_translation": tr, "translations": []any{tr},
					"content_types": []string{"email"}})
			}
		}
	}
	return map[string]any{"type": "list", "data": out}
}

type mergeHistoryItem struct {
	Type              string `json:"type"`
	SourceContactID   string `json:"source_contact_id"`
	SourceContactRole string `json:"source_contact_role"`
	MergedAt          int64  `json:"merged_at"`
}

// mergeHistoryOf lists the contacts merged into c, newest first. The caller holds the
// read lock.
func (ws *Workspace) mergeHistoryOf(c *Contact) []mergeHistoryItem {
	out := []mergeHistoryItem{}
	for _, id := range ws.mergedFrom[c.ID] {
		if src, ok := ws.contacts[id]; ok && src.MergedInto == c.ID {
			out = append(out, mergeHistoryItem{Type: "merge_history", SourceContactID: id, SourceContactRole: src.Role, MergedAt: src.MergedAt})
		}
	}
	slices.SortFunc(out, func(a, b mergeHistoryItem) int {
		if a.MergedAt != b.MergedAt {
			return int(b.MergedAt - a.MergedAt)
		}
		return strings.Compare(a.SourceContactID, b.SourceContactID)
	})
	return out
}

// mergeHistory is GET /contacts/{id}/merge_history (2.16+): the contacts merged into a
// user, newest first (order=asc reverses), paged with cursor/next_cursor/has_more;
// 404 for leads.
func (s *Server) mergeHistory(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	perPage, ok := queryPerPage(w, r, q, 50)
	if !ok {
		return
	}
	offset := 0
	if v := q.Get("cursor"); v != "" {
		c, err := decodeCursor(v, "merge_history")
		if err != nil {
			writeErrorField(w, r, http.StatusBadRequest, "parameter_invalid", "cursor is not a valid cursor", "cursor")
			return
		}
		offset = c.Page
	}
	order := q.Get("order")
	if order != "" && order != "asc" && order != "desc" {
		writeErrorField(w, r, http.StatusBadRequest, "parameter_invalid", "order must be asc or desc", "order")
		return
	}
	ws := s.ws
	ws.mu.RLock()
	defer ws.mu.RUnlock()
	c, ok := s.contactFor(w, r)
	if !ok {
		return
	}
	if c.Role != "user" {
		writeError(w, r, http.StatusNotFound, "not_found", "User Not Found")
		return
	}
	items := ws.mergeHistoryOf(c)
	if order == "asc" {
		slices.Reverse(items)
	}
	offset = min(offset, len(items))
	end := min(offset+perPage, len(items))
	out := map[string]any{"type": "list", "data": items[offset:end], "has_more": end < len(items), "next_cursor": nil}
	if end < len(items) {
		out["next_cursor"] = encodeCursor(cursor{Kind: "merge_history", Page: end, ID: c.ID})
	}
	writeJSON(w, http.StatusOK, out)
}

// withMergeHistory adds merge_history to a user's JSON when the request asks for it
// with include_merge_history=true. The caller holds the read lock.
func (s *Server) withMergeHistory(r *http.Request, c *Contact, j contactJSON) contactJSON {
	if c.Role == "user" && r.URL.Query().Get("include_merge_history") == "true" {
		j.MergeHistory = s.ws.mergeHistoryOf(c)
	}
	return j
}
