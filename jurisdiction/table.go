package jurisdiction

import (
	"fmt"

	"github.com/intercom-privacy/intercom-privacy/deadline"
)

// gdprRights are the rights of GDPR Arts. 15-22 and 7(3); the UK GDPR
// grants the same.
func gdprRights(law string) []RightText {
	return []RightText{
		{Access, "to get confirmation that we process your personal data and a copy of it", law + " Art. 15"},
		{Correction, "to have inaccurate data corrected and incomplete data completed", law + " Art. 16"},
		{Deletion, "to have your data erased", law + " Art. 17"},
		{Restriction, "to have the processing of your data restricted", law + " Art. 18"},
		{Portability, "to receive the data you provided in a machine-readable form, or have it sent to another organisation", law + " Art. 20"},
		{Objection, "to object to processing based on legitimate interests, and at any time to direct marketing", law + " Art. 21"},
		{AutomatedDecision, "not to be subject to decisions based solely on automated processing that significantly affect you", law + " Art. 22"},
		{WithdrawConsent, "to withdraw your consent at any time, where we rely on it", law + " Art. 7(3)"},
	}
}

var gdprContents = []string{
	"confirmation that your personal data is processed, and a copy of it",
	"the purposes of the processing", "the categories of personal data",
	"the recipients or categories of recipients, in particular in third countries, and the safeguards for transfers",
	"how long the data is kept, or the criteria used to decide",
	"your rights to correction, erasure, restriction and objection",
	"your right to complain to a supervisory authority",
	"where the data came from, when not from you",
	"whether automated decision-making is used, and its logic",
}

const gdprVerifyCategories = "reasonable measures to confirm the person's identity; more information may be asked for only where there is reasonable doubt (Art. 12(6)), and no more than needed"

// usRights builds the rights of a US state law. correction and profiling
// are false for the laws that do not grant them (Utah, Iowa); appeal is
// false where the law has no appeal process.
func usRights(cite string, correction, profiling, appeal bool) []RightText {
	r := []RightText{
		{Access, "to confirm whether we process your personal data and to access it", cite},
	}
	if correction {
		r = append(r, RightText{Correction, "to correct inaccurate personal data", cite})
	}
	r = append(r,
		RightText{Deletion, "to have your personal data deleted", cite},
		RightText{Portability, "to get a copy of your data in a portable, readily usable form", cite},
		RightText{OptOutTargetedAds, "to opt out of targeted advertising", cite},
		RightText{OptOutSale, "to opt out of the sale of your personal data", cite},
	)
	if profiling {
		r = append(r, RightText{OptOutProfiling, "to opt out of profiling in decisions with legal or similarly significant effects", cite})
	}
	r = append(r, RightText{NonDiscrimination, "not to be discriminated against for using these rights", cite})
	if appeal {
		r = append(r, RightText{Appeal, "to appeal our decision on your request, and then to contact the Attorney General if the appeal is denied", cite})
	}
	return r
}

// usState is the row of a US state comprehensive privacy law.
func usState(j deadline.Jurisdiction, state, cite, authority string, correction, profiling bool) Info {
	clock := must(j)
	appeal := !clock.Appeal.IsZero()
	complaint := fmt.Sprintf("If we deny your request, you may appeal to us within a reasonable time; we answer an appeal within %s. If the appeal is denied, you may contact the %s.", clock.Appeal, authority)
	if !appeal {
		complaint = fmt.Sprintf("You may contact the %s about how we handled your request.", authority)
	}
	return Info{
		Clock:        clock,
		Region:       state,
		AccessTitle:  "Your personal data: your right of access under " + clock.Name,
		AccessBasis:  clock.Name + " right to access (" + cite + ")",
		ErasureBasis: clock.Name + " right to delete (" + cite + ")",
		AccessContents: []string{
			"confirmation whether your personal data is processed",
			"the personal data, in a portable and, where technically feasible, readily usable form",
		},
		Rights: usRights(cite, correction, profiling, appeal),
		Verification: Verification{
			Categories: "commercially reasonable efforts to authenticate the person; more information may be asked for when the request cannot be authenticated",
			Specific:   "commercially reasonable efforts to authenticate the person; more information may be asked for when the request cannot be authenticated",
			OptOut:     "no authentication is required for an opt-out, beyond what is needed to act on it",
		},
		Authority:  Authority{Name: authority, Complaint: complaint},
		RecordKept: "We keep a record of your request and of our answer, without a copy of your data, to show that we answered it.",
		Sources:    []string{clock.Source},
	}
}

// gdprFamily is the row of the GDPR or of the UK GDPR, which grant the same
// rights on the same clock and differ in their authority.
func gdprFamily(j deadline.Jurisdiction, region, law string, authority Authority, source string) Info {
	return Info{
		Clock: must(j), Region: region,
		AccessTitle:    "Your personal data: your right of access (" + law + " Article 15)",
		AccessBasis:    law + " Art. 15 (right of access) and Art. 20 (portability)",
		ErasureBasis:   law + " Art. 17 (right to erasure)",
		AccessContents: gdprContents, Rights: gdprRights(law),
		Verification: Verification{Categories: gdprVerifyCategories, Specific: gdprVerifyCategories,
			OptOut: "an objection to direct marketing needs no more than what identifies the person in our records"},
		Authority:  authority,
		RecordKept: "We keep a record of your request and of our answer, holding no copy of your data, to demonstrate that we answered it (" + law + " Art. 5(2)).",
		Sources:    []string{source},
	}
}

func must(j deadline.Jurisdiction) deadline.Rules {
	r, err := deadline.RulesFor(j)
	if err != nil {
		panic("jurisdiction: table names a jurisdiction deadline does not know: " + string(j))
	}
	return r
}

func table() []Info {
	return []Info{
		gdprFamily(deadline.GDPR, "European Union and EEA", "GDPR",
			Authority{Name: "a data protection supervisory authority", URL: "https://edpb.europa.eu/about-edpb/about-edpb/members_en",
				Complaint: "You may lodge a complaint with a supervisory authority, in particular in the EU or EEA member state of your habitual residence, place of work or of the alleged infringement (GDPR Art. 77)."},
			"Regulation (EU) 2016/679 Arts. 12-22, 77"),
		gdprFamily(deadline.UKGDPR, "United Kingdom", "UK GDPR",
			Authority{Name: "the Information Commissioner's Office (ICO)", URL: "https://ico.org.uk/make-a-complaint/",
				Complaint: "You may complain to the Information Commissioner's Office (ICO), the UK's data protection regulator."},
			"UK GDPR Arts. 12-22, 77; Data Protection Act 2018"),
		{
			Clock: must(deadline.CCPA), Region: "California",
			AccessTitle: "Your personal information: your right to know (California Consumer Privacy Act)",
			AccessBasis: "CCPA right to know (Cal. Civ. Code §1798.110, §1798.130)", ErasureBasis: "CCPA right to delete (Cal. Civ. Code §1798.105)",
			AccessContents: []string{
				"the categories of personal information collected about you",
				"the categories of sources it was collected from",
				"the business or commercial purpose for collecting, selling or sharing it",
				"the categories of third parties it was disclosed to",
				"the specific pieces of personal information collected about you",
			},
			Rights: []RightText{
				{Access, "to know what personal information we collect, use, disclose, sell and share, and to get a copy of it", "Cal. Civ. Code §1798.110"},
				{Deletion, "to delete personal information we collected from you", "§1798.105"},
				{Correction, "to correct inaccurate personal information", "§1798.106"},
				{OptOutSale, "to opt out of the sale or sharing of your personal information", "§1798.120"},
				{LimitSensitive, "to limit the use and disclosure of your sensitive personal information", "§1798.121"},
				{NonDiscrimination, "not to be discriminated against for exercising these rights", "§1798.125"},
			},
			Verification: Verification{
				Categories:  "a reasonable degree of certainty: at least two data points provided by the person matched against data the business maintains (CCPA Regs §7062(a), (b)); a deletion may need a reasonably high degree depending on the data",
				Specific:    "a reasonably high degree of certainty: at least three data points matched, and a declaration signed under penalty of perjury (§7062(c))",
				OptOut:      "no verification: an opt-out of sale or sharing, or a request to limit, must not require it (§7026, §7027)",
				Declaration: true,
				Tiered:      true,
			},
			Authority: Authority{Name: "the California Privacy Protection Agency and the California Attorney General", URL: "https://cppa.ca.gov/",
				Complaint: "You may file a complaint with the California Privacy Protection Agency (cppa.ca.gov) or the California Attorney General (oag.ca.gov)."},
			RecordKept: "We keep a record of your request and of our answer for at least 24 months, holding no copy of your data, as the law requires (CCPA Regulations §7101); after a deletion the record also makes sure your data stays deleted (§7022(e)).",
			Sources:    []string{"Cal. Civ. Code §§1798.100-1798.199.100; CCPA Regulations §§7020-7028, 7060-7063, 7101"},
		},
		usState(deadline.Virginia, "Virginia", "Va. Code §59.1-577", "Virginia Attorney General", true, true),
		usState(deadline.Colorado, "Colorado", "C.R.S. §6-1-1306", "Colorado Attorney General", true, true),
		usState(deadline.Connecticut, "Connecticut", "Conn. Gen. Stat. §42-518", "Connecticut Attorney General", true, true),
		usState(deadline.Utah, "Utah", "Utah Code §13-61-201", "Utah Division of Consumer Protection", false, false),
		usState(deadline.Texas, "Texas", "Tex. Bus. & Com. Code §541.051", "Texas Attorney General", true, true),
		usState(deadline.Oregon, "Oregon", "ORS 646A.574", "Oregon Department of Justice", true, true),
		usState(deadline.Montana, "Montana", "Mont. Code Ann. §30-14-2808", "Montana Department of Justice", true, true),
		usState(deadline.Iowa, "Iowa", "Iowa Code §715D.3", "Iowa Attorney General", false, false),
		usState(deadline.Delaware, "Delaware", "6 Del. C. §12D-104", "Delaware Department of Justice", true, true),
		usState(deadline.NewHampshire, "New Hampshire", "RSA 507-H:4", "New Hampshire Attorney General", true, true),
		usState(deadline.Nebraska, "Nebraska", "Neb. Rev. Stat. §87-1107", "Nebraska Attorney General", true, true),
		usState(deadline.NewJersey, "New Jersey", "N.J.S.A. 56:8-166.10", "New Jersey Division of Consumer Affairs", true, true),
		usState(deadline.Tennessee, "Tennessee", "Tenn. Code Ann. §47-18-3303", "Tennessee Attorney General", true, true),
		usState(deadline.Minnesota, "Minnesota", "Minn. Stat. §325M.14", "Minnesota Attorney General", true, true),
		usState(deadline.Maryland, "Maryland", "Md. Code, Com. Law §14-4705", "Maryland Attorney General", true, true),
		usState(deadline.Indiana, "Indiana", "Ind. Code §24-15-3-1", "Indiana Attorney General", true, true),
		usState(deadline.Kentucky, "Kentucky", "KRS 367.3615", "Kentucky Attorney General", true, true),
		usState(deadline.RhodeIsland, "Rhode Island", "R.I. Gen. Laws §6-48.1-5", "Rhode Island Attorney General", true, true),
		{
			Clock: must(deadline.LGPD), Region: "Brazil",
			AccessTitle: "Seus dados pessoais / Your personal data: right of access (LGPD Art. 18 and 19)",
			AccessBasis: "LGPD Art. 18(II) and Art. 19(II) (complete declaration)", ErasureBasis: "LGPD Art. 18(VI) (deletion)",
			AccessContents: []string{
				"confirmation that your data is processed, and access to it",
				"the origin of the data, or that there is no record of it",
				"the criteria used and the purpose of the processing",
			},
			Rights: []RightText{
				{Access, "to confirmation that your data is processed and to access it", "LGPD Art. 18(I), (II)"},
				{Correction, "to correct incomplete, inaccurate or out-of-date data", "Art. 18(III)"},
				{Deletion, "to anonymisation, blocking or deletion of unnecessary or excessive data, and deletion of data processed with consent", "Art. 18(IV), (VI)"},
				{Portability, "to portability of your data to another provider", "Art. 18(V)"},
				{WithdrawConsent, "to withdraw consent", "Art. 18(IX)"},
				{Objection, "to object to processing carried out in breach of the law", "Art. 18 §2"},
				{AutomatedDecision, "to ask for a review of decisions made solely by automated processing", "Art. 20"},
			},
			Verification: Verification{Categories: "reasonable confirmation of the holder's identity", Specific: "reasonable confirmation of the holder's identity", OptOut: "reasonable confirmation of the holder's identity"},
			Authority: Authority{Name: "the Autoridade Nacional de Proteção de Dados (ANPD)", URL: "https://www.gov.br/anpd",
				Complaint: "You may petition the national data protection authority (ANPD) about your data (LGPD Art. 18 §1)."},
			RecordKept: "We keep a record of your request and of our answer, holding no copy of your data (LGPD Art. 37).",
			Sources:    []string{"Lei 13.709/2018 Arts. 18-20, 37"},
		},
		{
			Clock: must(deadline.PIPEDA), Region: "Canada",
			AccessTitle: "Your personal information: your right of access (PIPEDA)",
			AccessBasis: "PIPEDA Schedule 1, Principle 4.9 (individual access)", ErasureBasis: "PIPEDA Principles 4.5.3 and 4.9.5 (disposal and amendment)",
			AccessContents: []string{
				"whether we hold personal information about you",
				"the personal information, and an account of its use",
				"the third parties it has been disclosed to",
			},
			Rights: []RightText{
				{Access, "to be told of the existence, use and disclosure of your personal information and to access it", "PIPEDA Principle 4.9"},
				{Correction, "to challenge its accuracy and completeness and have it amended", "Principle 4.9.5"},
				{WithdrawConsent, "to withdraw consent, subject to legal or contractual restrictions", "Principle 4.3.8"},
			},
			Verification: Verification{Categories: "sufficient information to confirm the individual's identity, used only for that purpose (Principle 4.9.1)",
				Specific: "sufficient information to confirm the individual's identity, used only for that purpose (Principle 4.9.1)", OptOut: "what identifies the individual in our records"},
			Authority: Authority{Name: "the Office of the Privacy Commissioner of Canada", URL: "https://www.priv.gc.ca/en/report-a-concern/",
				Complaint: "You may file a complaint with the Office of the Privacy Commissioner of Canada (PIPEDA s. 11)."},
			RecordKept: "We keep a record of your request and of our answer, holding no copy of your data, as long as needed for you to exhaust any recourse (PIPEDA Principle 4.5.3).",
			Sources:    []string{"PIPEDA s. 8, s. 11; Schedule 1 Principles 4.5, 4.9"},
		},
	}
}
