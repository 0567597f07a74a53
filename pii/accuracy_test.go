package pii

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

// equivalent types: a known phone redacted by the phone detector (or a
// known e-mail by the e-mail detector) is still found.
func sameKind(a, b Type) bool {
	return family(a) == family(b) && (a == b || a == TypeKnownEmail || a == TypeKnownPhone || b == TypeKnownEmail || b == TypeKnownPhone)
}

type prf struct{ tp, fp, fn int }

func (p prf) precision() float64 {
	if p.tp+p.fp == 0 {
		return 1
	}
	return float64(p.tp) / float64(p.tp+p.fp)
}
func (p prf) recall() float64 {
	if p.tp+p.fn == 0 {
		return 1
	}
	return float64(p.tp) / float64(p.tp+p.fn)
}

func score(e *Engine, corpus []sample) (map[Type]*prf, []string) {
	res := map[Type]*prf{}
	get := func(t Type) *prf {
		if res[t] == nil {
			res[t] = &prf{}
		}
		return res[t]
	}
	var misses []string
	for _, s := range corpus {
		k := NewKnown(s.Known)
		if len(s.Known) == 0 {
			k = nil
		}
		fs := e.Find([]byte(s.Text), k, nil)
		used := make([]bool, len(fs))
		for _, l := range s.Labels {
			hit := false
			for i, f := range fs {
				if !used[i] && f.Start == l.Start && f.End == l.End && sameKind(f.Type, l.Type) {
					used[i] = true
					hit = true
					break
				}
			}
			if hit {
				get(l.Type).tp++
			} else {
				get(l.Type).fn++
				if len(misses) < 40 {
					misses = append(misses, fmt.Sprintf("FN %v %q in %q", l.Type, s.Text[l.Start:l.End], s.Text))
				}
			}
		}
		for i, f := range fs {
			if !used[i] {
				get(f.Type).fp++
				if len(misses) < 80 {
					misses = append(misses, fmt.Sprintf("FP %v %q (%s) in %q", f.Type, s.Text[f.Start:f.End], f.Validator, s.Text))
				}
			}
		}
	}
	return res, misses
}

// Floors: the targets, or higher where the corpus supports it.
var recallFloor = map[Type]float64{
	TypeEmail: 0.99, TypeCard: 0.99, TypeIBAN: 0.99,
	TypeKnownName: 0.99, TypeKnownEmail: 0.99, TypeKnownPhone: 0.99, TypeKnownAddress: 0.99, TypeKnownExternalID: 0.99,
	TypeSSN: 0.95, TypeIPv4: 0.95, TypeIPv6: 0.95,
	TypeUKNINO: 0.95, TypeDETaxID: 0.95, TypeFRNIR: 0.95, TypeESDNI: 0.95, TypeITFiscalCode: 0.95, TypeNLBSN: 0.95,
	TypePhone: 0.85, TypeDateOfBirth: 0.90, TypeSecret: 0.95, TypePassword: 0.90, TypeURLSecret: 0.95,
}

var precisionFloor = map[Type]float64{
	// checksummed types
	TypeCard: 0.97, TypeIBAN: 0.97, TypeDETaxID: 0.97, TypeFRNIR: 0.97, TypeESDNI: 0.97, TypeITFiscalCode: 0.97, TypeNLBSN: 0.97,
	// the rest
	TypeEmail: 0.97, TypePhone: 0.95, TypeSSN: 0.95, TypeIPv4: 0.95, TypeIPv6: 0.95, TypeUKNINO: 0.95,
	TypeDateOfBirth: 0.95, TypeSecret: 0.97, TypePassword: 0.90, TypeURLSecret: 0.95,
	TypeKnownName: 0.97, TypeKnownEmail: 0.97, TypeKnownPhone: 0.97, TypeKnownAddress: 0.97, TypeKnownExternalID: 0.97,
}

func TestAccuracy(t *testing.T) {
	n := 6000
	if testing.Short() {
		n = 1500
	}
	corpus := buildCorpus(20261128, n)
	e, err := NewEngine(Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, misses := score(e, corpus)
	types := make([]Type, 0, len(res))
	for ty := range res {
		types = append(types, ty)
	}
	sort.Slice(types, func(i, j int) bool { return types[i] < types[j] })
	var sb strings.Builder
	fmt.Fprintf(&sb, "\n%-16s %6s %5s %5s %9s %7s %9s %7s\n", "type", "TP", "FP", "FN", "precision", "floor", "recall", "floor")
	failed := false
	for _, ty := range types {
		p := res[ty]
		pf, rf := precisionFloor[ty], recallFloor[ty]
		mark := ""
		if p.precision() < pf || p.recall() < rf {
			mark = "  <-- below floor"
			failed = true
		}
		fmt.Fprintf(&sb, "%-16s %6d %5d %5d %9.4f %7.2f %9.4f %7.2f%s\n", ty, p.tp, p.fp, p.fn, p.precision(), pf, p.recall(), rf, mark)
	}
	t.Log(sb.String())
	for ty, f := range recallFloor {
		if res[ty] == nil || res[ty].tp == 0 {
			t.Errorf("corpus has no %v samples (floor %.2f)", ty, f)
		}
	}
	if failed {
		for _, m := range misses {
			t.Log(m)
		}
		t.Fatal("precision or recall below floor")
	}
}
