// Package metrics computes the yearly report on privacy requests that the CCPA
// regulations ask a business to keep and publish (§7102: requests to know, to
// delete, ... received, complied with in whole or in part, and denied, and the
// median or mean number of days to respond) and its GDPR equivalent, per
// request type and law, from the request records in the store.
//
// It reads the store only: request types, laws, states, dates and denial
// reasons, never an identifier.
package metrics

import (
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/intercom-privacy/intercom-privacy/store"
)

// Row is one request type under one law for the year.
type Row struct {
	Type         string `json:"type"`
	Jurisdiction string `json:"jurisdiction"`
	// Received counts the requests received in the year.
	Received int `json:"received"`
	// Complied counts those answered, in whole or in part (completed, the
	// person found or not).
	Complied int `json:"complied_in_whole_or_part"`
	// Denied counts the denials, by the reason recorded.
	Denied         int            `json:"denied"`
	DeniedByReason map[string]int `json:"denied_by_reason,omitempty"`
	// Withdrawn counts those the person withdrew (cancelled); Open those not
	// answered yet when the report was made.
	Withdrawn int `json:"withdrawn"`
	Open      int `json:"open"`
	// MeanDays and MedianDays are the days from receipt to the answer
	// (complied or denied), to a tenth of a day; nil when none was answered.
	MeanDays   *float64 `json:"mean_days_to_respond"`
	MedianDays *float64 `json:"median_days_to_respond"`

	answered, micros int64
	tenths           []bucket
}

// bucket counts the answers given in one tenth of a day after receipt.
type bucket struct{ tenths, count int64 }

// Report is the requests report of one calendar year.
type Report struct {
	Year int `json:"year"`
	// Location is the time zone the year's bounds are in.
	Location string `json:"time_zone"`
	Rows     []Row  `json:"rows"`
}

// Requests computes the report of year from st: the requests received from
// 1 January to 31 December of year in loc (UTC when nil), counted by the
// database (store.Requests.RequestStats): the mean is exact, the median is
// to the tenth of a day.
func Requests(ctx context.Context, st store.Requests, year int, loc *time.Location) (Report, error) {
	if year < 2000 || year > 9999 {
		return Report{}, fmt.Errorf("%w: year %d: want a year from 2000", store.ErrInvalid, year)
	}
	loc = cmp.Or(loc, time.UTC)
	from := time.Date(year, 1, 1, 0, 0, 0, 0, loc)
	stats, err := st.RequestStats(ctx, from, from.AddDate(1, 0, 0))
	if err != nil {
		return Report{}, err
	}
	rows := map[[2]string]*Row{}
	for _, x := range stats {
		k := [2]string{string(x.Type), x.Jurisdiction}
		row := rows[k]
		if row == nil {
			row = &Row{Type: k[0], Jurisdiction: k[1]}
			rows[k] = row
		}
		row.add(x)
	}
	rep := Report{Year: year, Location: loc.String(), Rows: make([]Row, 0, len(rows))}
	for _, row := range rows {
		row.finish()
		rep.Rows = append(rep.Rows, *row)
	}
	slices.SortFunc(rep.Rows, func(a, b Row) int {
		return cmp.Or(cmp.Compare(a.Type, b.Type), cmp.Compare(a.Jurisdiction, b.Jurisdiction))
	})
	return rep, nil
}

func (row *Row) add(x store.RequestStat) {
	n := int(x.Count)
	row.Received += n
	answered := false
	switch x.State {
	case store.StateCompleted:
		row.Complied += n
		answered = true
	case store.StateDenied:
		row.Denied += n
		if row.DeniedByReason == nil {
			row.DeniedByReason = map[string]int{}
		}
		row.DeniedByReason[cmp.Or(x.DenialReason, "(no reason recorded)")] += n
		answered = true
	case store.StateCancelled:
		row.Withdrawn += n
	default:
		row.Open += n
	}
	if answered && x.Tenths >= 0 {
		row.answered += x.Count
		row.micros += x.Micros
		row.tenths = append(row.tenths, bucket{x.Tenths, x.Count})
	}
}

// finish computes the mean (exact) and the median (to the tenth of a day the
// database counted by: the middle answer's tenth, or the mean of the two
// middle ones).
func (row *Row) finish() {
	if row.answered == 0 {
		return
	}
	mean := round1(float64(row.micros) / float64(row.answered) / float64(24*time.Hour/time.Microsecond))
	slices.SortFunc(row.tenths, func(a, b bucket) int { return cmp.Compare(a.tenths, b.tenths) })
	at := func(i int64) float64 { // the i-th answer (from 0) in order, in days
		for _, b := range row.tenths {
			if i < b.count {
				return float64(b.tenths) / 10
			}
			i -= b.count
		}
		return 0
	}
	n := row.answered
	median := at(n / 2)
	if n%2 == 0 {
		median = (at(n/2-1) + at(n/2)) / 2
	}
	median = round1(median)
	row.MeanDays, row.MedianDays = &mean, &median
	row.tenths = nil
}

func round1(v float64) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', 1, 64), 64)
	return f
}

// Formats Write accepts.
const (
	FormatMarkdown = "md"
	FormatCSV      = "csv"
	FormatJSON     = "json"
)

// Write writes rep in format ("md", "csv" or "json").
func (rep Report) Write(w io.Writer, format string) error {
	switch format {
	case FormatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	case FormatCSV:
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"year", "type", "jurisdiction", "received", "complied_in_whole_or_part", "denied", "denied_by_reason", "withdrawn", "open", "mean_days_to_respond", "median_days_to_respond"})
		for _, r := range rep.Rows {
			_ = cw.Write([]string{strconv.Itoa(rep.Year), r.Type, r.Jurisdiction, strconv.Itoa(r.Received), strconv.Itoa(r.Complied),
				strconv.Itoa(r.Denied), reasons(r.DeniedByReason), strconv.Itoa(r.Withdrawn), strconv.Itoa(r.Open), days(r.MeanDays), days(r.MedianDays)})
		}
		cw.Flush()
		return cw.Error()
	case FormatMarkdown:
		var b strings.Builder
		fmt.Fprintf(&b, "# Privacy requests in %d (%s)\n\n", rep.Year, rep.Location)
		if len(rep.Rows) == 0 {
			b.WriteString("No request was received in this year.\n")
		} else {
			b.WriteString("| Type | Law | Received | Complied (in whole or part) | Denied | Denied by reason | Withdrawn | Open | Mean days | Median days |\n")
			b.WriteString("| --- | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |\n")
			for _, r := range rep.Rows {
				fmt.Fprintf(&b, "| %s | %s | %d | %d | %d | %s | %d | %d | %s | %s |\n", r.Type, r.Jurisdiction, r.Received, r.Complied,
					r.Denied, strings.ReplaceAll(reasons(r.DeniedByReason), "|", "/"), r.Withdrawn, r.Open, days(r.MeanDays), days(r.MedianDays))
			}
		}
		_, err := io.WriteString(w, b.String())
		return err
	}
	return fmt.Errorf("%w: format %q: want md, csv or json", store.ErrInvalid, format)
}

func reasons(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %d", k, m[k])
	}
	return strings.Join(parts, "; ")
}

func days(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', 1, 64)
}
