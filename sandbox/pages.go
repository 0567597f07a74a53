package sandbox

import (
	"net/http"
	"net/url"
	"strconv"
)

// Lists paginated by page number (a contact's notes and attached companies): the
// client asks for ?page=N&per_page=M and Intercom answers that page with pages
// {type, page, per_page, total_pages, next}. A page past the last is empty, which is
// how Intercom's own SDKs (which page until an empty page) know they are done.

// defaultNumberedPerPage is Intercom's page size when per_page is absent.
const defaultNumberedPerPage = 50

// maxPageNumber bounds page so page*per_page cannot overflow.
const maxPageNumber = 1 << 20

type numberedPages struct {
	Type       string `json:"type"`
	Next       any    `json:"next"`
	Page       int    `json:"page"`
	PerPage    int    `json:"per_page"`
	TotalPages int    `json:"total_pages"`
}

// pageNumber reads page (from 1, default 1) and per_page (1..150, default def),
// answering 400 parameter_invalid itself for anything else.
func pageNumber(w http.ResponseWriter, r *http.Request, q url.Values, def int) (pageNo, perPage int, ok bool) {
	perPage, ok = queryPerPage(w, r, q, def)
	if !ok {
		return 0, 0, false
	}
	pageNo = 1
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPageNumber {
			writeErrorField(w, r, http.StatusBadRequest, "parameter_invalid", "page must be a whole number from 1", "page")
			return 0, 0, false
		}
		pageNo = n
	}
	return pageNo, perPage, true
}

// numbered selects page pageNo of items. linkNext puts the next page's URL in
// pages.next (the pages_link schema); otherwise next is null, as the description's
// cursor_pages answers for notes show.
func numbered[T any](r *http.Request, items []T, pageNo, perPage int, linkNext bool) ([]T, numberedPages) {
	total := len(items)
	pages := numberedPages{Type: "pages", Page: pageNo, PerPage: perPage, TotalPages: max(1, (total+perPage-1)/perPage)}
	start := min((pageNo-1)*perPage, total)
	end := min(start+perPage, total)
	if linkNext && end < total {
		q := url.Values{"page": {strconv.Itoa(pageNo + 1)}, "per_page": {strconv.Itoa(perPage)}}
		pages.Next = baseURL(r) + r.URL.EscapedPath() + "?" + q.Encode()
	}
	return items[start:end], pages
}

// numberedOfContact makes the handler of a contact's sub-resource paginated by page
// number. notes selects the notes' answer shape (cursor_pages, next null) over the
// companies' (pages_link, next a URL).
func numberedOfContact(list func(ws *Workspace, c *Contact) []any, notes bool) func(*Server, http.ResponseWriter, *http.Request) {
	return func(s *Server, w http.ResponseWriter, r *http.Request) {
		pageNo, perPage, ok := pageNumber(w, r, r.URL.Query(), defaultNumberedPerPage)
		if !ok {
			return
		}
		ws := s.ws
		ws.mu.RLock()
		defer ws.mu.RUnlock()
		c, ok := s.contactFor(w, r)
		if !ok {
			return
		}
		all := list(ws, c)
		items, pages := numbered(r, all, pageNo, perPage, !notes)
		// The description names the companies' array "companies"; its example and
		// the live API use "data" (intercom-api-notes.md §7). The sandbox answers as
		// the live API does.
		writeJSON(w, http.StatusOK, map[string]any{"type": "list", "data": items, "total_count": len(all), "pages": pages})
	}
}
