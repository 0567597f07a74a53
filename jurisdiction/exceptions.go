package jurisdiction

import (
	"fmt"
	"slices"
	"strings"

	"github.com/intercom-privacy/intercom-privacy/deadline"
)

// Basis is the code of a ground on which a business keeps data a person asked
// to have erased: the exceptions of GDPR Art. 17(3), CCPA §1798.105(d) and
// §1798.145(a), and their counterparts in the other laws. A legal hold or a
// configured erasure exception names one; the erasure keeps the object and the
// person is told the ground.
type Basis string

// The bases.
const (
	// BasisLegalClaims: the establishment, exercise or defence of legal claims
	// (a dispute, litigation, a chargeback).
	BasisLegalClaims Basis = "legal_claims"
	// BasisLegalObligation: a legal obligation to keep the data (tax and
	// accounting records, a regulator's order).
	BasisLegalObligation Basis = "legal_obligation"
	// BasisSecurityIncident: detecting, investigating or documenting a
	// security incident or fraud.
	BasisSecurityIncident Basis = "security_incident"
	// BasisCompleteTransaction: completing the transaction or providing the
	// service the person asked for, or performing a contract with them.
	BasisCompleteTransaction Basis = "complete_transaction"
	// BasisPublicInterest: a task in the public interest, or public health.
	BasisPublicInterest Basis = "public_interest"
	// BasisFreeExpression: the right of freedom of expression and information.
	BasisFreeExpression Basis = "freedom_of_expression"
	// BasisResearch: archiving in the public interest, scientific or
	// historical research, or statistics.
	BasisResearch Basis = "research"
)

// basisRow is one basis: what the person is told, and the provision of each
// family of laws (empty: the law has no such exception to erasure).
type basisRow struct {
	basis Basis
	// text completes "We kept ... because it is needed ...".
	text string
	// cite per family: gdpr (GDPR, UK GDPR), ccpa, us (the other US state
	// laws), lgpd, pipeda.
	cite map[string]string
}

var bases = []basisRow{
	{BasisLegalClaims, "to establish, exercise or defend legal claims", map[string]string{
		"gdpr": "Art. 17(3)(e)", "ccpa": "Cal. Civ. Code §1798.145(a)(1)(E)", "us": "the law's exemption for legal claims",
		"lgpd": "LGPD Art. 16(I) and Art. 7(VI)", "pipeda": "PIPEDA Principle 4.5.3 and s. 8(8)"}},
	{BasisLegalObligation, "to comply with a legal obligation", map[string]string{
		"gdpr": "Art. 17(3)(b)", "ccpa": "Cal. Civ. Code §1798.105(d)(8)", "us": "the law's exemption for compliance with other laws",
		"lgpd": "LGPD Art. 16(I)", "pipeda": "PIPEDA Principle 4.5"}},
	{BasisSecurityIncident, "to detect, investigate or document a security incident or fraud", map[string]string{
		"gdpr": "Art. 17(3)(b) with Art. 33(5)", "ccpa": "Cal. Civ. Code §1798.105(d)(2)", "us": "the law's exemption for security incidents and fraud"}},
	{BasisCompleteTransaction, "to complete the transaction or provide the service you asked for", map[string]string{
		"ccpa": "Cal. Civ. Code §1798.105(d)(1)", "us": "the law's exemption for providing a requested product or service"}},
	{BasisPublicInterest, "for a task in the public interest or for public health", map[string]string{
		"gdpr": "Art. 17(3)(b) and (c)"}},
	{BasisFreeExpression, "to exercise the right of freedom of expression and information", map[string]string{
		"gdpr": "Art. 17(3)(a)", "ccpa": "Cal. Civ. Code §1798.105(d)(4)"}},
	{BasisResearch, "for archiving in the public interest, research or statistics", map[string]string{
		"gdpr": "Art. 17(3)(d)", "ccpa": "Cal. Civ. Code §1798.105(d)(6)", "lgpd": "LGPD Art. 16(II)"}},
}

// Bases returns every basis code, in a stable order.
func Bases() []Basis {
	out := make([]Basis, len(bases))
	for i, b := range bases {
		out[i] = b.basis
	}
	return out
}

// ValidBasis reports whether b is one of the Bases.
func ValidBasis(b Basis) bool { return slices.Contains(Bases(), b) }

// BasisList is the codes joined for an error message.
func BasisList() string {
	var s []string
	for _, b := range Bases() {
		s = append(s, string(b))
	}
	return strings.Join(s, ", ")
}

// family groups the laws whose exceptions to erasure read alike.
func family(j deadline.Jurisdiction) string {
	switch j {
	case deadline.GDPR, deadline.UKGDPR:
		return "gdpr"
	case deadline.CCPA:
		return "ccpa"
	case deadline.LGPD:
		return "lgpd"
	case deadline.PIPEDA:
		return "pipeda"
	}
	if strings.HasPrefix(string(j), "us_") {
		return "us"
	}
	return ""
}

// Exception is a basis as the person reads it under one law.
type Exception struct {
	Basis Basis `json:"basis"`
	// Applies is false when the law has no such exception to erasure: an
	// erasure does not apply a configured exception then (a legal hold keeps
	// the object all the same, and Citation is empty).
	Applies bool `json:"applies"`
	// Citation is the provision, prefixed with the law's name for the GDPR
	// family ("GDPR Art. 17(3)(e)").
	Citation string `json:"citation,omitempty"`
	// Text is the sentence for the person.
	Text string `json:"text"`
}

// ExceptionFor returns basis b under the law j. An unknown basis fails with
// an error naming the valid codes.
func ExceptionFor(j deadline.Jurisdiction, b Basis) (Exception, error) {
	i := slices.IndexFunc(bases, func(r basisRow) bool { return r.basis == b })
	if i < 0 {
		return Exception{}, fmt.Errorf("jurisdiction: unknown erasure exception basis %q (valid: %s)", shorten(string(b)), BasisList())
	}
	row := bases[i]
	cite := row.cite[family(j)]
	if cite != "" && family(j) == "gdpr" {
		name := "GDPR"
		if j == deadline.UKGDPR {
			name = "UK GDPR"
		}
		cite = name + " " + cite
	}
	if cite != "" && family(j) == "us" {
		if r, err := deadline.RulesFor(j); err == nil {
			cite = strings.Replace(cite, "the law's", r.Name+"'s", 1)
		}
	}
	e := Exception{Basis: b, Applies: cite != "", Citation: cite}
	e.Text = "We kept this because it is needed " + row.text
	if cite != "" {
		e.Text += " (" + cite + ")"
	}
	e.Text += "."
	return e, nil
}
