package pii

import (
	"bytes"
	"strings"

	"golang.org/x/net/html"
)

// RedactHTML appends a redacted copy of the HTML fragment or document src
// to dst. It redacts inside text nodes (after decoding entities, so
// "jane&#64;example.com" is found), attribute values (so mailto: links are
// found) and comments, and never across tags. The output is re-serialised
// from the tokens: well-formed, valid UTF-8, with attribute values quoted
// and text escaped. counts, if not nil, is incremented per finding type.
func (r *Redactor) RedactHTML(dst, src []byte, known *Known, counts *Counts) []byte {
	z := html.NewTokenizer(bytes.NewReader(src))
	var buf []byte
	rawText := false
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return dst
		case html.TextToken:
			buf = r.Redact(buf[:0], noNUL(z.Text()), known, counts)
			if rawText {
				// script, style and similar: no entities; keep the text
				// as is apart from redaction and NUL.
				dst = appendNoNUL(dst, buf)
			} else {
				dst = appendEscaped(dst, buf)
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			nm := cleanName(name)
			rawText = false
			if len(nm) == 0 {
				// Not a tag we can write back safely: drop it, keep going.
				for hasAttr {
					_, _, hasAttr = z.TagAttr()
				}
				continue
			}
			dst = append(dst, '<')
			dst = append(dst, nm...)
			for hasAttr {
				var key, val []byte
				key, val, hasAttr = z.TagAttr()
				k := cleanName(key)
				if len(k) == 0 {
					continue
				}
				dst = append(dst, ' ')
				dst = append(dst, k...)
				dst = append(dst, '=', '"')
				buf = r.Redact(buf[:0], noNUL(val), known, counts)
				dst = appendEscaped(dst, buf)
				dst = append(dst, '"')
			}
			if tt == html.SelfClosingTagToken {
				dst = append(dst, '/')
			} else {
				switch string(nm) {
				case "script", "style", "xmp", "iframe", "noembed", "noframes", "noscript", "plaintext":
					rawText = true
				}
			}
			dst = append(dst, '>')
		case html.EndTagToken:
			name, _ := z.TagName()
			rawText = false
			if nm := cleanName(name); len(nm) > 0 {
				dst = append(dst, '<', '/')
				dst = append(dst, nm...)
				dst = append(dst, '>')
			}
		case html.CommentToken:
			buf = r.Redact(buf[:0], noNUL(z.Text()), known, counts)
			c := strings.ReplaceAll(string(buf), ">", "&gt;")
			for strings.Contains(c, "--") {
				c = strings.ReplaceAll(c, "--", "- -")
			}
			c = strings.TrimSuffix(c, "-")
			c = strings.ReplaceAll(c, "\x00", "\uFFFD")
			dst = append(dst, "<!--"...)
			dst = append(dst, c...)
			dst = append(dst, "-->"...)
		case html.DoctypeToken:
			dst = append(dst, "<!DOCTYPE "...)
			for _, c := range z.Text() {
				if isAlnum(c) || c == ' ' || c == '"' || c == '/' || c == '.' || c == ':' || c == '-' || c == '_' {
					dst = append(dst, c)
				}
			}
			dst = append(dst, '>')
		}
	}
}

// noNUL replaces NUL bytes with U+FFFD before detection, as the output
// will, so that a second pass sees the same text.
func noNUL(b []byte) []byte {
	if bytes.IndexByte(b, 0) < 0 {
		return b
	}
	return bytes.ReplaceAll(b, []byte{0}, []byte("\uFFFD"))
}

// cleanName keeps the bytes of a tag or attribute name that are safe to
// write back: ASCII letters, digits and -_:.
func cleanName(b []byte) []byte {
	ok := true
	for _, c := range b {
		if !(isAlnum(c) || c == '-' || c == '_' || c == ':' || c == '.') {
			ok = false
			break
		}
	}
	if ok {
		return b
	}
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if isAlnum(c) || c == '-' || c == '_' || c == ':' || c == '.' {
			out = append(out, c)
		}
	}
	return out
}

// appendEscaped appends b (valid UTF-8) with &, <, >, " and ' escaped and
// NUL replaced.
func appendEscaped(dst, b []byte) []byte {
	for _, c := range b {
		switch c {
		case '&':
			dst = append(dst, "&amp;"...)
		case '<':
			dst = append(dst, "&lt;"...)
		case '>':
			dst = append(dst, "&gt;"...)
		case '"':
			dst = append(dst, "&#34;"...)
		case '\'':
			dst = append(dst, "&#39;"...)
		case 0:
			dst = append(dst, "\uFFFD"...)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

func appendNoNUL(dst, b []byte) []byte {
	for _, c := range b {
		if c == 0 {
			dst = append(dst, "\uFFFD"...)
		} else {
			dst = append(dst, c)
		}
	}
	return dst
}
