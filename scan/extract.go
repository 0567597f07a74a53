package scan

import (
	"bytes"
	"strings"
	"time"

	"golang.org/x/net/html"

	"github.com/intercom-privacy/intercom-privacy/intercom"
)

// Part kinds, as the redact endpoint names them.
const (
	KindSource = "source"
	KindPart   = "part"
)

// Author roles of a finding.
const (
	RoleCustomer = "customer"
	RoleTeammate = "teammate"
	RoleBot      = "bot"
	RoleOther    = "other"
)

// authorRole maps Intercom's author.type to a role.
func authorRole(a intercom.Author) string {
	switch a.Type {
	case "user", "lead", "contact":
		return RoleCustomer
	case "admin", "team":
		if bool(a.FromAIAgent) || bool(a.IsAIAnswer) {
			return RoleBot
		}
		return RoleTeammate
	case "bot":
		return RoleBot
	}
	return RoleOther
}

// part is one scannable item of a conversation: the source or a part.
type part struct {
	id, kind, role string
	createdAt      time.Time
	redacted       bool
	// fields are (name, text) pairs to scan: "subject", "body", "attachment_name".
	fields      [][2]string
	attachments int
	hasText     bool
}

// partsOf lists the source and the parts of a retrieved conversation.
func partsOf(c *intercom.Conversation) []part {
	out := make([]part, 0, 1+len(c.ConversationParts.ConversationParts))
	s := c.Source
	if s.ID != "" {
		p := part{id: string(s.ID), kind: KindSource, role: authorRole(s.Author), createdAt: unix(c.CreatedAt), redacted: bool(s.Redacted)}
		p.add("subject", s.Subject)
		p.add("body", s.Body)
		p.addAttachments(s.Attachments)
		out = append(out, p)
	}
	for _, cp := range c.ConversationParts.ConversationParts {
		if cp.ID == "" {
			continue
		}
		p := part{id: string(cp.ID), kind: KindPart, role: authorRole(cp.Author), createdAt: unix(cp.CreatedAt), redacted: bool(cp.Redacted)}
		p.add("body", cp.Body)
		p.addAttachments(cp.Attachments)
		out = append(out, p)
	}
	return out
}

func (p *part) add(field, htmlText string) {
	t := textOf(htmlText)
	if strings.TrimSpace(t) == "" {
		return
	}
	p.fields = append(p.fields, [2]string{field, t})
	p.hasText = true
}

func (p *part) addAttachments(as []intercom.Attachment) {
	for _, a := range as {
		p.addFileName(a.Name)
	}
}

// addFileName adds one file: its name is scanned as words (the separators of
// file names, - _ . +, read as spaces, so "card-4539….jpg" reads as it would
// be said), never the file.
func (p *part) addFileName(name string) {
	p.attachments++
	if strings.TrimSpace(name) == "" {
		return
	}
	words := strings.Map(func(r rune) rune {
		switch r {
		case '-', '_', '.', '+':
			return ' '
		}
		return r
	}, name)
	p.fields = append(p.fields, [2]string{"attachment_name", words})
}

// attachmentOnly reports a part with attachments and no text: only the file
// names are scanned, never the files.
func (p *part) attachmentOnly() bool { return p.attachments > 0 && !p.hasText }

func unix(t intercom.Timestamp) time.Time {
	if t <= 0 {
		return time.Time{}
	}
	return time.Unix(int64(t), 0).UTC()
}

// blockTags end a line of text; inline tags (b, i, span, a, ...) join their
// text as the reader sees it.
var blockTags = map[string]bool{
	"p": true, "br": true, "div": true, "li": true, "ul": true, "ol": true, "tr": true, "td": true, "th": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true, "pre": true, "blockquote": true, "hr": true,
	"table": true, "img": true,
}

// textOf returns the text of an HTML fragment with entities decoded: text nodes
// and the values of href and src attributes (mailto:, tel:, links with
// credentials) on lines of their own; block tags end a line. Plain text comes back unchanged.
func textOf(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return s
	}
	z := html.NewTokenizer(strings.NewReader(s))
	var b bytes.Buffer
	b.Grow(len(s))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return b.String()
		case html.TextToken:
			b.Write(z.Text())
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, hasAttr := z.TagName()
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				if string(k) == "href" || string(k) == "src" {
					b.WriteByte('\n')
					b.Write(v)
					b.WriteByte('\n')
				}
			}
			if blockTags[string(name)] {
				b.WriteByte('\n')
			}
		}
	}
}
