package deadline

import (
	"fmt"
	"time"
)

// Date is a civil date (no time of day, no zone). Deadlines are counted in
// whole days, so calendars and business-day arithmetic work on Dates.
type Date struct {
	Year  int        // e.g. 2026
	Month time.Month // January = 1
	Day   int        // 1 to 31
}

// DateOf returns the civil date of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// String formats the date as YYYY-MM-DD.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// AddDays returns the date n calendar days after d (n may be negative).
func (d Date) AddDays(n int) Date {
	return DateOf(time.Date(d.Year, d.Month, d.Day+n, 12, 0, 0, 0, time.UTC))
}

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday {
	return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Weekday()
}

// Before reports whether d is strictly earlier than o.
func (d Date) Before(o Date) bool {
	if d.Year != o.Year {
		return d.Year < o.Year
	}
	if d.Month != o.Month {
		return d.Month < o.Month
	}
	return d.Day < o.Day
}

// EndOfDay returns the last instant of d in loc (one nanosecond before the
// next local midnight). It is correct across DST changes because it is
// derived from the next day's midnight rather than from adding 24 hours.
func (d Date) EndOfDay(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day+1, 0, 0, 0, 0, loc).Add(-time.Nanosecond)
}

// addMonths returns the date n months after d following Regulation (EEC,
// Euratom) No 1182/71 Art. 3(2)(c): the same day of the month, or the last
// day of the target month when it has no such day (31 Jan + 1 month = 28 or
// 29 Feb). It never overflows into the following month as time.AddDate does.
func (d Date) addMonths(n int) Date {
	first := time.Date(d.Year, d.Month+time.Month(n), 1, 12, 0, 0, 0, time.UTC)
	last := daysIn(first.Year(), first.Month())
	day := min(d.Day, last)
	return Date{first.Year(), first.Month(), day}
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 12, 0, 0, 0, time.UTC).Day()
}

// BusinessCalendar says which days count as business (working) days. It is
// the one thing a deployment configures to match its jurisdiction's public
// holidays.
type BusinessCalendar interface {
	// IsBusinessDay reports whether d is a business day.
	IsBusinessDay(d Date) bool
}

// Weekdays is a BusinessCalendar in which Monday to Friday are business days
// and there are no holidays. Its zero value is ready to use.
type Weekdays struct{}

// IsBusinessDay reports whether d falls on Monday to Friday.
func (Weekdays) IsBusinessDay(d Date) bool {
	wd := d.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// HolidayList is a BusinessCalendar of Monday to Friday minus the listed
// dates: use it for a configured list of public holidays (for example an
// EU member state's, for the GDPR working-day rule).
type HolidayList []Date

// IsBusinessDay reports whether d is a weekday not in the list.
func (h HolidayList) IsBusinessDay(d Date) bool {
	if !(Weekdays{}).IsBusinessDay(d) {
		return false
	}
	for _, x := range h {
		if x == d {
			return false
		}
	}
	return true
}

// USFederal is the default CCPA calendar: Monday to Friday minus the United
// States federal holidays of 5 U.S.C. § 6103, computed for any year, on the
// days they are observed (a holiday on a Saturday is observed on the Friday
// before, one on a Sunday on the Monday after; so New Year's Day 2022, a
// Saturday, is observed on Friday 31 December 2021). Juneteenth (19 June)
// counts from 2021, the year it became a federal holiday. Extra lists
// further non-business days (company closures, state holidays). The zero
// value is the plain federal calendar.
type USFederal struct {
	// Extra are additional non-business days.
	Extra []Date
}

// IsBusinessDay reports whether d is a weekday, not an observed US federal
// holiday and not listed in Extra.
func (u USFederal) IsBusinessDay(d Date) bool {
	if !HolidayList(u.Extra).IsBusinessDay(d) {
		return false
	}
	return !IsUSFederalHoliday(d)
}

// IsUSFederalHoliday reports whether d is the observed date of a US federal
// holiday (see USFederal).
func IsUSFederalHoliday(d Date) bool {
	for _, h := range USFederalHolidays(d.Year) {
		if h.Observed == d {
			return true
		}
	}
	// New Year's Day of the next year observed on 31 December.
	if d.Month == time.December && d.Day == 31 {
		for _, h := range USFederalHolidays(d.Year + 1) {
			if h.Observed == d {
				return true
			}
		}
	}
	return false
}

// Holiday is one public holiday: its name, its legal date and the date it
// is observed as a day off.
type Holiday struct {
	Name     string // e.g. "Independence Day"
	Date     Date   // the legal date
	Observed Date   // the day off (moved off a weekend)
}

// USFederalHolidays returns the US federal holidays of year y in calendar
// order. Observed may fall in the previous year (New Year's Day on a
// Saturday).
func USFederalHolidays(y int) []Holiday {
	fixed := func(name string, m time.Month, day int) Holiday {
		d := Date{y, m, day}
		obs := d
		switch d.Weekday() {
		case time.Saturday:
			obs = d.AddDays(-1)
		case time.Sunday:
			obs = d.AddDays(1)
		}
		return Holiday{name, d, obs}
	}
	nth := func(name string, m time.Month, wd time.Weekday, n int) Holiday {
		d := Date{y, m, 1}
		for d.Weekday() != wd {
			d = d.AddDays(1)
		}
		d = d.AddDays(7 * (n - 1))
		return Holiday{name, d, d}
	}
	last := func(name string, m time.Month, wd time.Weekday) Holiday {
		d := Date{y, m, daysIn(y, m)}
		for d.Weekday() != wd {
			d = d.AddDays(-1)
		}
		return Holiday{name, d, d}
	}
	hs := []Holiday{
		fixed("New Year's Day", time.January, 1),
		nth("Birthday of Martin Luther King, Jr.", time.January, time.Monday, 3),
		nth("Washington's Birthday", time.February, time.Monday, 3),
		last("Memorial Day", time.May, time.Monday),
	}
	if y >= 2021 {
		hs = append(hs, fixed("Juneteenth National Independence Day", time.June, 19))
	}
	hs = append(hs,
		fixed("Independence Day", time.July, 4),
		nth("Labor Day", time.September, time.Monday, 1),
		nth("Columbus Day", time.October, time.Monday, 2),
		fixed("Veterans Day", time.November, 11),
		nth("Thanksgiving Day", time.November, time.Thursday, 4),
		fixed("Christmas Day", time.December, 25),
	)
	return hs
}

// addBusinessDays returns the n-th business day after d (d itself is not
// counted). It gives up after a bounded search so a calendar that declares
// no business days cannot hang the caller; ok is false then.
func addBusinessDays(cal BusinessCalendar, d Date, n int) (Date, bool) {
	const maxScan = 3660 // ten years of days
	count := 0
	for i := 1; i <= maxScan; i++ {
		x := d.AddDays(i)
		if cal.IsBusinessDay(x) {
			count++
			if count == n {
				return x, true
			}
		}
	}
	return Date{}, false
}

// nextBusinessDayOnOrAfter returns d if it is a business day, or the first
// business day after it.
func nextBusinessDayOnOrAfter(cal BusinessCalendar, d Date) (Date, bool) {
	if cal.IsBusinessDay(d) {
		return d, true
	}
	return addBusinessDays(cal, d, 1)
}
