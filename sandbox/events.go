package sandbox

import (
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// eventWindow is how far back GET /events lists events (summaries count all).
const eventWindow = 90 * day

type eventJSON struct {
	Type           string            `json:"type"`
	ID             string            `json:"id"`
	EventName      string            `json:"event_name"`
	CreatedAt      int64             `json:"created_at"`
	UserID         string            `json:"user_id,omitempty"`
	IntercomUserID string            `json:"intercom_user_id"`
	Email          string            `json:"email,omitempty"`
	Metadata       map[string]string `json:"metadata"`
}

type summaryItem struct {
	Name  string `json:"name"`
	First string `json:"first"`
	Last  string `json:"last"`
	Count int    `json:"count"`
}

// listEvents is GET /events?type=user&(intercom_user_id|user_id|email)=…[&summary=true]:
// events of the last 90 days, newest first (ties by id), pages.next a full URL whose
// before= names the last event listed as "<created_at>_<id>"; or, with summary=true,
// counts of all events by name. A plain before=<unix seconds> (what Intercom documents)
// lists the events strictly older than that second.
func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("type") != "user" {
		writeErrorField(w, r, http.StatusBadRequest, "parameter_not_found", "type must be user", "type")
		return
	}
	perPage, ok := queryPerPage(w, r, q, 50)
	if !ok {
		return
	}
	ws := s.ws
	ws.mu.RLock()
	defer ws.mu.RUnlock()
	var c *Contact
	n := 0
	if v := q.Get("intercom_user_id"); v != "" {
		n++
		c = ws.contacts[v]
	}
	if v := q.Get("user_id"); v != "" {
		n++
		c = ws.byExternal[v]
	}
	if v := q.Get("email"); v != "" {
		n++
		for _, x := range ws.contactOrder {
			if x.Role == "user" && live(x) && !ws.deleted[x.ID] && strings.EqualFold(x.Email, v) {
				c = x
				break
			}
		}
	}
	if n != 1 {
		writeError(w, r, http.StatusBadRequest, "parameter_not_found", "exactly one of intercom_user_id, user_id or email is required")
		return
	}
	if c == nil || ws.deleted[c.ID] {
		writeError(w, r, http.StatusNotFound, "not_found", "User Not Found")
		return
	}
	evs := ws.events[c.ID]
	if q.Get("summary") == "true" {
		byName := map[string]*summaryItem{}
		for _, e := range evs {
			it := byName[e.Name]
			if it == nil {
				it = &summaryItem{Name: e.Name, First: isoTime(e.CreatedAt)}
				byName[e.Name] = it
			}
			it.Count++
			it.Last = isoTime(e.CreatedAt)
		}
		out := []summaryItem{}
		for _, it := range byName {
			out = append(out, *it)
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
		writeJSON(w, http.StatusOK, map[string]any{"type": "event.summary", "email": c.Email,
			"intercom_user_id": c.ID, "user_id": c.ExternalID, "events": out})
		return
	}
	cur, err := parseEventsBefore(q.Get("before"))
	if err != nil {
		writeErrorField(w, r, http.StatusBadRequest, "parameter_invalid",
			"before must be a UNIX timestamp or the before value of a pages.next link", "before")
		return
	}
	since := s.opts.Now().Unix() - eventWindow
	var list []*Event
	for _, e := range evs {
		if e.CreatedAt >= since && cur.admits(e) {
			list = append(list, e)
		}
	}
	// Newest first, ties broken by id, so that the cursor names one position in a
	// total order and events sharing a second are neither skipped nor repeated.
	sort.Slice(list, func(i, j int) bool { return eventAfter(list[j], list[i].CreatedAt, list[i].ID) })
	more := len(list) > perPage
	if more {
		list = list[:perPage]
	}
	out := make([]eventJSON, 0, len(list))
	for _, e := range list {
		md := e.Metadata
		if md == nil {
			md = map[string]string{}
		}
		out = append(out, eventJSON{Type: "event", ID: e.ID, EventName: e.Name, CreatedAt: e.CreatedAt,
			UserID: c.ExternalID, IntercomUserID: c.ID, Email: c.Email, Metadata: md})
	}
	base := baseURL(r) + "/events?type=user&intercom_user_id=" + url.QueryEscape(c.ID) + "&per_page=" + strconv.Itoa(perPage)
	pages := map[string]any{"since": base + "&since=" + strconv.FormatInt(s.opts.Now().Unix(), 10)}
	if more {
		last := list[len(list)-1]
		pages["next"] = base + "&before=" + url.QueryEscape(formatEventsBefore(last.CreatedAt, last.ID))
	}
	writeJSON(w, http.StatusOK, map[string]any{"type": "event.list", "events": out, "pages": pages})
}

// maxEventIDLen bounds the id part of a before cursor.
const maxEventIDLen = 64

// eventsCursor is a parsed before= value: a position in the newest-first order of
// events. With id empty it is a bare timestamp and admits the events strictly older
// than at; with id set it admits the events after (at, id) in that order.
type eventsCursor struct {
	set bool
	at  int64
	id  string
}

// errEventsBefore reports a before= value that is neither a timestamp nor a cursor
// the sandbox handed out.
var errEventsBefore = errors.New("sandbox: before is neither a UNIX timestamp nor an events cursor")

// formatEventsBefore is the before= value of the position just after the event
// (at, id) in the newest-first order.
func formatEventsBefore(at int64, id string) string {
	return strconv.FormatInt(at, 10) + "_" + id
}

// parseEventsBefore reads a before= value: "" (no cursor), "<unix seconds>" or
// "<unix seconds>_<event id>" (what pages.next carries).
func parseEventsBefore(v string) (eventsCursor, error) {
	if v == "" {
		return eventsCursor{}, nil
	}
	ts, id, keyed := strings.Cut(v, "_")
	at, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return eventsCursor{}, errEventsBefore
	}
	if !keyed {
		return eventsCursor{set: true, at: at}, nil
	}
	if id == "" || len(id) > maxEventIDLen {
		return eventsCursor{}, errEventsBefore
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || c == '-') {
			return eventsCursor{}, errEventsBefore
		}
	}
	return eventsCursor{set: true, at: at, id: id}, nil
}

// admits reports whether e comes after the cursor in the newest-first order.
func (c eventsCursor) admits(e *Event) bool {
	switch {
	case !c.set:
		return true
	case c.id == "":
		return e.CreatedAt < c.at
	default:
		return eventAfter(e, c.at, c.id)
	}
}

// eventAfter reports whether e comes after the position (at, id) in the order
// newest first, then id descending.
func eventAfter(e *Event, at int64, id string) bool {
	if e.CreatedAt != at {
		return e.CreatedAt < at
	}
	return e.ID < id
}

func isoTime(t int64) string {
	return timeUTC(t).Format("2006-01-02T15:04:05.000Z")
}

// baseURL is the scheme and host the request was sent to.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
