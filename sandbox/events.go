package sandbox

import (
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
// events of the last 90 days, newest first, pages.next a full URL with before=; or,
// with summary=true, counts of all events by name.
func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("type") != "user" {
		writeErrorField(w, r, http.StatusBadRequest, "parameter_not_found", "type must be user", "type")
		return
	}
	perPage := 50
	if v := q.Get("per_page"); v != "" {
		n, err := parsePerPage(v)
		if err != nil {
			writeErrorField(w, r, http.StatusBadRequest, "parameter_invalid", "per_page must be an integer between 1 and 150", "per_page")
			return
		}
		perPage = n
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
	before := int64(1<<62 - 1)
	if v := q.Get("before"); v != "" {
		b, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			writeErrorField(w, r, http.StatusBadRequest, "parameter_invalid", "before must be a UNIX timestamp", "before")
			return
		}
		before = b
	}
	since := s.opts.Now().Unix() - eventWindow
	var list []*Event
	for i := len(evs) - 1; i >= 0; i-- { // newest first
		e := evs[i]
		if e.CreatedAt >= since && e.CreatedAt < before {
			list = append(list, e)
		}
	}
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
		pages["next"] = base + "&before=" + strconv.FormatInt(list[len(list)-1].CreatedAt, 10)
	}
	writeJSON(w, http.StatusOK, map[string]any{"type": "event.list", "events": out, "pages": pages})
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
