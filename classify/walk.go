package classify

import (
	"bytes"
	"unicode/utf8"
)

// mode says how the members of an object (or the elements of an array) in
// a slot are classified.
type mode uint8

const (
	modeGeneric mode = iota // key rules, then content
	modeTable               // look members up in tables[kind] at path
	modeLeaf                // a fixed class for the whole subtree; deeper table entries win
	modeCustom              // members are custom attribute names
	modeAuto                // dispatch on the object's "type" member
	modeList                // an Intercom list envelope: items are modeAuto
)

// slot is where a value sits in a document: how it and its children are
// classified.
type slot struct {
	mode mode
	f    Field
	kind ObjectKind
	path string
}

func rootSlot(kind ObjectKind) slot {
	switch {
	case kind == KindAuto:
		return slot{mode: modeAuto}
	case kind == KindGeneric || kind >= numKinds:
		return slot{mode: modeGeneric}
	default:
		return slot{mode: modeTable, kind: kind}
	}
}

func joinPath(p, key string) string {
	if p == "" {
		return key
	}
	return p + "." + key
}

// fromTable returns the slot of a field with table entry f at path p of kind.
func fromTable(kind ObjectKind, p string, f Field) slot {
	switch {
	case f.Ref != KindGeneric:
		return rootSlot(f.Ref)
	case f.Nested:
		return slot{mode: modeTable, kind: kind, path: p}
	case f.Class == ClassCustomAttribute:
		return slot{mode: modeCustom}
	default:
		return slot{mode: modeLeaf, f: f, kind: kind, path: p}
	}
}

// child returns the slot of the member key of an object in slot s.
func (r *Redactor) child(s slot, key []byte) slot {
	switch s.mode {
	case modeTable:
		p := joinPath(s.path, string(key))
		if f, ok := tables[s.kind][p]; ok {
			return fromTable(s.kind, p, f)
		}
		// Not in the table: fail closed.
		return r.genericChild(key)
	case modeLeaf:
		if s.kind != KindGeneric {
			p := joinPath(s.path, string(key))
			if f, ok := tables[s.kind][p]; ok {
				return fromTable(s.kind, p, f)
			}
			s.path = p
		}
		if s.f.Class == ClassContent {
			return r.genericChild(key)
		}
		return s
	case modeCustom:
		f := attributeClass(r.attrs, string(key))
		if f.Class == ClassContent || f.Class == ClassCustomAttribute || f.Ref != KindGeneric || f.Nested {
			return slot{mode: modeGeneric}
		}
		return slot{mode: modeLeaf, f: f}
	case modeList:
		switch string(key) {
		case "type", "total_count", "has_more", "pages":
			return slot{mode: modeLeaf, f: sys}
		}
		return slot{mode: modeAuto}
	default:
		return r.genericChild(key)
	}
}

// genericChild classifies a member by the key rules alone.
// A key that is itself a redaction tag ("[EMAIL]", left by an earlier
// pass over a map keyed by e-mail address) names no field.
func (r *Redactor) genericChild(key []byte) slot {
	if isTag(key) {
		return slot{mode: modeGeneric}
	}
	if l, ok := match(r.keys, key); ok {
		return slot{mode: modeLeaf, f: personal(l)}
	}
	return slot{mode: modeGeneric}
}

// autoSlot returns the slot of an object whose Intercom type is typ.
func autoSlot(typ []byte) slot {
	if k, ok := autoKinds[string(typ)]; ok {
		return slot{mode: modeTable, kind: k}
	}
	if string(typ) == "list" || bytes.HasSuffix(typ, []byte(".list")) || bytes.HasSuffix(typ, []byte("_list")) {
		return slot{mode: modeList}
	}
	return slot{mode: modeGeneric}
}

// scalar returns the class that applies to a scalar in slot s.
func (s slot) scalar() Field {
	if s.mode == modeLeaf {
		return s.f
	}
	return text
}

// redactScalar applies the slot's class to one decoded string or number
// text v. It returns the replacement and whether v changed; the returned
// slice may alias v or the walker's scratch buffer.
func (w *walker) redactScalar(s slot, v []byte) ([]byte, bool) {
	f := s.scalar()
	r := w.r
	switch f.Class {
	case ClassSystem:
		return v, false
	case ClassIdentifier:
		if r.idMode != PseudonymiseIdentifiers || len(v) == 0 || isTag(v) {
			return v, false
		}
		w.rbuf = r.pseudonym(w.rbuf[:0], "ID", v)
		return w.rbuf, true
	case ClassPII:
		if len(v) == 0 || isTag(v) {
			return v, false
		}
		w.counts.Fields[f.Label]++
		w.rbuf = r.operate(w.rbuf[:0], f.Label, v)
		return w.rbuf, !bytes.Equal(w.rbuf, v)
	default:
		if len(v) == 0 || w.skipContent {
			return v, false
		}
		if f.HTML {
			w.rbuf = r.content.RedactHTML(w.rbuf[:0], v, w.known, &w.counts.Findings)
		} else {
			w.rbuf = r.content.Redact(w.rbuf[:0], v, w.known, &w.counts.Findings)
		}
		return w.rbuf, !bytes.Equal(w.rbuf, v)
	}
}

// redactKey scans an object key as content: maps keyed by e-mail address
// exist. It returns the replacement and whether it changed.
func (w *walker) redactKey(k []byte) ([]byte, bool) {
	if len(k) == 0 || w.skipContent || (w.known == nil && plainASCIIKey(k)) {
		return k, false
	}
	w.rbuf = w.r.content.Redact(w.rbuf[:0], k, w.known, &w.counts.Findings)
	return w.rbuf, !bytes.Equal(w.rbuf, k)
}

// plainASCIIKey reports whether k is made only of lower-case letters and
// underscores, which no content detector can match (schema keys such as
// "created_at"); such keys skip the content scan unless known values are
// being looked for.
func plainASCIIKey(k []byte) bool {
	if len(k) > 40 {
		return false
	}
	for _, c := range k {
		if !(c >= 'a' && c <= 'z' || c == '_') {
			return false
		}
	}
	return true
}

// appendJSONString appends s as a JSON string literal. Invalid UTF-8 is
// replaced with U+FFFD, so the output is always valid UTF-8.
func appendJSONString(dst, s []byte) []byte {
	const hexDigits = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
