package pii

import (
	"bytes"
	"reflect"
	"sort"
	"strings"
	"testing"
	"unsafe"

	"github.com/intercom-privacy/intercom-privacy/internal/evalgen"
)

// scannerScratch is the fields of scanner that reset leaves as they are:
// arrays the numeric passes write before they read them, and the names
// pass's candidate list (run writes cands[:nc] before names reads it).
var scannerScratch = map[string]bool{"g": true, "sep": true, "gsum": true, "digits": true, "cands": true}

// fillNonZero sets every field reachable in v (settable) to a value that
// is not its zero value.
func fillNonZero(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			f := v.Field(i)
			fillNonZero(reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem())
		}
	case reflect.Array:
		for i := 0; i < v.Len(); i++ {
			fillNonZero(v.Index(i))
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 3, 5))
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(77)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		v.SetUint(77)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(7.5)
	default:
		panic("fillNonZero: unhandled kind " + v.Kind().String())
	}
}

// TestScannerReset: reset, on a scanner whose every field holds something,
// leaves every field but the scratch arrays as init leaves a zero scanner
// (so a field added to scanner and not to reset fails here).
func TestScannerReset(t *testing.T) {
	e, err := NewEngine(Options{})
	if err != nil {
		t.Fatal(err)
	}
	text := []byte("some text")
	dst := make([]Finding, 2, 8)
	for _, eb := range []uint8{0, ebAt, ebUnknown} {
		var want scanner
		want.init(e, text, dst, runAuto, eb)
		var got scanner
		fillNonZero(reflect.ValueOf(&got).Elem())
		got.reset(e, text, dst, eb)
		wv, gv := reflect.ValueOf(&want).Elem(), reflect.ValueOf(&got).Elem()
		for i := 0; i < wv.NumField(); i++ {
			name := wv.Type().Field(i).Name
			if scannerScratch[name] {
				continue
			}
			w := reflect.NewAt(wv.Field(i).Type(), unsafe.Pointer(wv.Field(i).UnsafeAddr())).Elem().Interface()
			g := reflect.NewAt(gv.Field(i).Type(), unsafe.Pointer(gv.Field(i).UnsafeAddr())).Elem().Interface()
			if !reflect.DeepEqual(w, g) {
				t.Errorf("after reset, scanner.%s = %v, want %v (what init leaves)", name, g, w)
			}
		}
	}
}

// checkFindReuse runs findReuse over texts with one scanner and compares
// every text's findings with Find's (a zero scanner each).
func checkFindReuse(t *testing.T, e *Engine, s *scanner, texts [][]byte, k *Known) {
	t.Helper()
	var got, want []Finding
	for _, text := range texts {
		want = e.Find(text, k, want[:0])
		got = e.findReuse(s, text, k, got[:0], ebUnknown)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("findReuse(%q) = %v, Find = %v", text, got, want)
		}
	}
}

// TestFindReuse: one scanner reused over the texts of the corpora of
// TestFindingsDump (the issue-3 corpus, the chat and log corpora, the
// loghub lines) finds what Find finds on each.
func TestFindReuse(t *testing.T) {
	e, err := NewEngine(Options{})
	if err != nil {
		t.Fatal(err)
	}
	var texts [][]byte
	for _, s := range buildCorpus(20261128, 2000) {
		texts = append(texts, []byte(s.Text))
	}
	for _, s := range evalgen.Chat(20261206, 3000) {
		texts = append(texts, []byte(s.Text))
	}
	for _, s := range evalgen.Logs(20261207, 6000) {
		texts = append(texts, []byte(s.Text))
	}
	real := realLogLines(t)
	names := make([]string, 0, len(real))
	for n := range real {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		for _, s := range real[n] {
			texts = append(texts, []byte(s))
		}
	}
	var s scanner
	checkFindReuse(t, e, &s, texts, nil)
	k := NewKnown([]KnownValue{{TypeKnownName, "Jane Doe"}, {TypeKnownEmail, "x@y.io"}})
	checkFindReuse(t, e, &s, texts[:3000], k)
	// A text too long for the names pass's candidate list, between short
	// ones: reset must switch the list off and on again as init does.
	long := []byte(strings.Repeat("x ", maxNameCandPos/2) + "Hi Anna, Dear Jan Smith")
	short := []byte("Thanks, Maria Garcia")
	checkFindReuse(t, e, &s, [][]byte{short, long, short, long[maxNameCandPos-8:], long}, nil)
}

// FuzzFindReuse: findReuse over the lines of the input with one scanner
// finds on each line what Find finds.
func FuzzFindReuse(f *testing.F) {
	fuzzSeeds(f)
	f.Add([]byte("card 4111 1111 1111 1111 exp 12/27\n12 34\n+44 20 7946 0958 x\n1.2.3.4.5.6\nssn 123-45-6789"))
	e, _ := NewEngine(Options{})
	f.Fuzz(func(t *testing.T, in []byte) {
		var s scanner
		fillNonZero(reflect.ValueOf(&s).Elem()) // what reset must not depend on
		checkFindReuse(t, e, &s, bytes.Split(in, []byte("\n")), nil)
	})
}
