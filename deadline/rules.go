package deadline

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Unit is what a period is counted in.
type Unit string

// The units of legal periods.
const (
	// Months are calendar months (Regulation 1182/71 Art. 3: the same date
	// in the target month, or its last day).
	Months Unit = "months"
	// Days are calendar days. The day of receipt counts as day 1 (the
	// earlier, conservative reading), so a period of 45 days from 1 March
	// ends at the end of 14 April.
	Days Unit = "days"
	// BusinessDays are days of the request's business calendar, counted
	// from the day after receipt.
	BusinessDays Unit = "business_days"
)

// Period is a length of legal time. The zero Period means "none".
type Period struct {
	N    int  `json:"n"`
	Unit Unit `json:"unit"`
}

// IsZero reports whether the period is absent.
func (p Period) IsZero() bool { return p.N == 0 }

// String writes the period for people: "1 month", "45 days",
// "10 business days".
func (p Period) String() string {
	if p.IsZero() {
		return "none"
	}
	unit := strings.ReplaceAll(string(p.Unit), "_", " ")
	if p.N == 1 {
		unit = strings.TrimSuffix(unit, "s")
	}
	return fmt.Sprintf("%d %s", p.N, unit)
}

// Rules are the clock of one law: when the answer is due, how far it may be
// extended, when receipt must be acknowledged, and how long an appeal may
// take. They are data: [RulesFor] returns the row of a jurisdiction, and
// [Calculator.Compute] and [Calculator.Extend] read nothing else.
type Rules struct {
	// Jurisdiction is the key of the row.
	Jurisdiction Jurisdiction `json:"jurisdiction"`
	// Name is the law's short name as a person reads it.
	Name string `json:"name"`
	// InForce is the first day requests under the law can be made.
	InForce Date `json:"in_force"`
	// Answer is the period from receipt to the answer.
	Answer Period `json:"answer"`
	// Extension is the most a single extension may add (same unit as
	// Answer; zero: the law allows none). An extension must be decided
	// before the original period ends, with a reason given to the person.
	Extension Period `json:"extension"`
	// Ack is the period within which receipt must be confirmed (zero:
	// the law sets none).
	Ack Period `json:"ack"`
	// Appeal is the period from receipt of an appeal to its answer (zero:
	// the law has no appeal process; the person goes to the authority).
	Appeal Period `json:"appeal"`
	// AppealExtension is the most an appeal's answer may be extended by
	// (zero: none).
	AppealExtension Period `json:"appeal_extension"`
	// OptOut is the period within which an opt-out of sale or sharing, or a
	// request to limit the use of sensitive data, must be complied with, with
	// no extension (zero: the answer period and its extension apply).
	OptOut Period `json:"opt_out"`
	// Source cites where the periods come from.
	Source string `json:"source"`
}

// The jurisdictions beyond GDPR and CCPA. Each is a row of [AllRules].
const (
	UKGDPR       Jurisdiction = "uk_gdpr"
	Virginia     Jurisdiction = "us_va"
	Colorado     Jurisdiction = "us_co"
	Connecticut  Jurisdiction = "us_ct"
	Utah         Jurisdiction = "us_ut"
	Texas        Jurisdiction = "us_tx"
	Oregon       Jurisdiction = "us_or"
	Montana      Jurisdiction = "us_mt"
	Iowa         Jurisdiction = "us_ia"
	Delaware     Jurisdiction = "us_de"
	NewHampshire Jurisdiction = "us_nh"
	Nebraska     Jurisdiction = "us_ne"
	NewJersey    Jurisdiction = "us_nj"
	Tennessee    Jurisdiction = "us_tn"
	Minnesota    Jurisdiction = "us_mn"
	Maryland     Jurisdiction = "us_md"
	Indiana      Jurisdiction = "us_in"
	Kentucky     Jurisdiction = "us_ky"
	RhodeIsland  Jurisdiction = "us_ri"
	LGPD         Jurisdiction = "lgpd"
	PIPEDA       Jurisdiction = "pipeda"
)

func months(n int) Period { return Period{n, Months} }
func days(n int) Period   { return Period{n, Days} }

// usState is the common clock of the US state comprehensive privacy laws:
// answer within 45 days, extendable once by 45 with notice inside the
// first period; an appeal answered within appealDays (extendable by
// appealExt days where the statute says so).
func usState(j Jurisdiction, name string, inForce Date, appealDays, appealExt int, source string) Rules {
	r := Rules{Jurisdiction: j, Name: name, InForce: inForce, Answer: days(45), Extension: days(45), Source: source}
	if appealDays > 0 {
		r.Appeal = days(appealDays)
	}
	if appealExt > 0 {
		r.AppealExtension = days(appealExt)
	}
	return r
}

// rulesTable holds every supported jurisdiction. Sources are the statutes
// and regulations; counsel should review a row before relying on it for a
// new market, and the table is where to correct it.
var rulesTable = []Rules{
	{Jurisdiction: GDPR, Name: "GDPR", InForce: Date{2018, time.May, 25}, Answer: months(GDPRMonths), Extension: months(GDPRMaxExtensionMonth),
		Source: "Regulation (EU) 2016/679 Art. 12(3); Regulation 1182/71 Art. 3"},
	{Jurisdiction: UKGDPR, Name: "UK GDPR", InForce: Date{2021, time.January, 1}, Answer: months(1), Extension: months(2),
		Source: "UK GDPR Art. 12(3); Data Protection Act 2018; ICO guidance on the right of access"},
	{Jurisdiction: CCPA, Name: "CCPA/CPRA", InForce: Date{2020, time.January, 1}, Answer: days(CCPADays), Extension: days(CCPAMaxExtensionDays),
		Ack: Period{CCPAAckBusinessDays, BusinessDays}, OptOut: Period{CCPAOptOutBusinessDays, BusinessDays},
		Source: "Cal. Civ. Code §1798.130(a)(2); CCPA Regulations §7021, §7026(f), §7027(g)"},
	usState(Virginia, "Virginia CDPA", Date{2023, time.January, 1}, 60, 0, "Va. Code §59.1-577(B), §59.1-577(C)"),
	usState(Colorado, "Colorado Privacy Act", Date{2023, time.July, 1}, 45, 60, "C.R.S. §6-1-1306(2), §6-1-1306(3)"),
	usState(Connecticut, "Connecticut DPA", Date{2023, time.July, 1}, 60, 0, "Conn. Gen. Stat. §42-518(b), §42-518(d)"),
	usState(Utah, "Utah CPA", Date{2023, time.December, 31}, 0, 0, "Utah Code §13-61-203 (no appeal process)"),
	usState(Texas, "Texas DPSA", Date{2024, time.July, 1}, 60, 0, "Tex. Bus. & Com. Code §541.052, §541.053"),
	usState(Oregon, "Oregon CPA", Date{2024, time.July, 1}, 45, 45, "ORS 646A.576"),
	usState(Montana, "Montana CDPA", Date{2024, time.October, 1}, 60, 0, "Mont. Code Ann. §30-14-2808"),
	// Iowa allows 90 days (not 45) before its 45-day extension.
	{Jurisdiction: Iowa, Name: "Iowa CDPA", InForce: Date{2025, time.January, 1}, Answer: days(90), Extension: days(45), Appeal: days(60),
		Source: "Iowa Code §715D.4"},
	usState(Delaware, "Delaware PDPA", Date{2025, time.January, 1}, 60, 0, "6 Del. C. §12D-104"),
	usState(NewHampshire, "New Hampshire privacy act", Date{2025, time.January, 1}, 60, 0, "RSA 507-H:4"),
	usState(Nebraska, "Nebraska DPA", Date{2025, time.January, 1}, 60, 0, "Neb. Rev. Stat. §87-1108"),
	usState(NewJersey, "New Jersey DPA", Date{2025, time.January, 15}, 45, 45, "N.J.S.A. 56:8-166.10"),
	usState(Tennessee, "Tennessee IPA", Date{2025, time.July, 1}, 60, 0, "Tenn. Code Ann. §47-18-3303"),
	usState(Minnesota, "Minnesota CDPA", Date{2025, time.July, 31}, 45, 60, "Minn. Stat. §325M.14"),
	usState(Maryland, "Maryland ODPA", Date{2025, time.October, 1}, 60, 0, "Md. Code, Com. Law §14-4705"),
	usState(Indiana, "Indiana CDPA", Date{2026, time.January, 1}, 60, 0, "Ind. Code §24-15-3-1"),
	usState(Kentucky, "Kentucky CDPA", Date{2026, time.January, 1}, 60, 0, "KRS 367.3615"),
	usState(RhodeIsland, "Rhode Island DTPPA", Date{2026, time.January, 1}, 60, 0, "R.I. Gen. Laws §6-48.1-5"),
	// LGPD Art. 19(II): a complete declaration within 15 days of the
	// request; the law provides no extension.
	{Jurisdiction: LGPD, Name: "LGPD", InForce: Date{2020, time.September, 18}, Answer: days(15),
		Source: "Lei 13.709/2018 Art. 19(II)"},
	// PIPEDA s. 8(3)-(4): 30 days, extendable by up to 30 days with notice
	// within the first 30.
	{Jurisdiction: PIPEDA, Name: "PIPEDA", InForce: Date{2001, time.January, 1}, Answer: days(30), Extension: days(30),
		Source: "PIPEDA s. 8(3), s. 8(4)"},
}

// AllRules returns a copy of every supported jurisdiction's rules, GDPR and
// CCPA first.
func AllRules() []Rules { return slices.Clone(rulesTable) }

// RulesFor returns the rules of j, or an error wrapping
// ErrUnknownJurisdiction.
func RulesFor(j Jurisdiction) (Rules, error) {
	for _, r := range rulesTable {
		if r.Jurisdiction == j {
			return r, nil
		}
	}
	return Rules{}, fmt.Errorf("%w %q: want one of %s", ErrUnknownJurisdiction, truncate(string(j), 16), jurisdictionList())
}

func jurisdictionList() string {
	names := make([]string, len(rulesTable))
	for i, r := range rulesTable {
		names[i] = string(r.Jurisdiction)
	}
	return strings.Join(names, ", ")
}

// end returns the last day of period p counted from the day of receipt.
func (k Calculator) end(r Rules, day Date, p Period) (Date, error) {
	switch p.Unit {
	case Months:
		if r.Jurisdiction == GDPR {
			return k.gdprDue(day, p.N)
		}
		return day.addMonths(p.N), nil
	case Days:
		return day.AddDays(p.N - 1), nil
	case BusinessDays:
		d, ok := addBusinessDays(k.calendar(), day, p.N)
		if !ok {
			return Date{}, ErrNoBusinessDay
		}
		return d, nil
	}
	return Date{}, fmt.Errorf("deadline: rules of %s use an unknown unit %q", r.Jurisdiction, p.Unit)
}

// AppealDue returns when the answer to an appeal received at received is
// due under j's rules, and the latest date an extension of the appeal
// could give. It wraps ErrNoAppeal when the law has no appeal process.
func (k Calculator) AppealDue(j Jurisdiction, received time.Time, loc *time.Location) (due, maxDue time.Time, err error) {
	r, err := RulesFor(j)
	if err != nil {
		return due, maxDue, err
	}
	if r.Appeal.IsZero() {
		return due, maxDue, fmt.Errorf("%w: %s", ErrNoAppeal, r.Name)
	}
	if loc == nil {
		loc = time.UTC
	}
	day := DateOf(received.In(loc))
	d, err := k.end(r, day, r.Appeal)
	if err != nil {
		return due, maxDue, err
	}
	m := d
	if !r.AppealExtension.IsZero() {
		if m, err = k.end(r, day, Period{r.Appeal.N + r.AppealExtension.N, r.Appeal.Unit}); err != nil {
			return due, maxDue, err
		}
	}
	return d.EndOfDay(loc), m.EndOfDay(loc), nil
}
