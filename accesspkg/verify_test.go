package accesspkg

import (
	"archive/zip"
	"bytes"
	"errors"
	"testing"
)

func builtSample(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := Build(samplePackage(), &buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rezip rewrites a package zip, letting edit change, drop (return nil) or keep
// each entry, and add extra entries.
func rezip(t *testing.T, pkg []byte, edit func(name string, data []byte) []byte, extra map[string][]byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(pkg), int64(len(pkg)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	write := func(name string, data []byte) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if _, err := b.ReadFrom(rc); err != nil {
			t.Fatal(err)
		}
		rc.Close()
		if out := edit(f.Name, b.Bytes()); out != nil {
			write(f.Name, out)
		}
	}
	for name, data := range extra {
		write(name, data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestVerify(t *testing.T) {
	pkg := builtSample(t)
	m, err := Verify(pkg)
	if err != nil {
		t.Fatalf("a fresh package does not verify: %v", err)
	}
	if m.RequestID != "req_0123456789abcdef" || len(m.Files) < 10 {
		t.Errorf("manifest %+v", m)
	}
	keep := func(_ string, d []byte) []byte { return d }
	cases := map[string][]byte{
		"altered file": rezip(t, pkg, func(name string, d []byte) []byte {
			if name == "report.html" {
				d = bytes.Replace(d, []byte("Ada"), []byte("Eve"), 1)
			}
			return d
		}, nil),
		"missing file": rezip(t, pkg, func(name string, d []byte) []byte {
			if name == "tags.csv" {
				return nil
			}
			return d
		}, nil),
		"unlisted file": rezip(t, pkg, keep, map[string][]byte{"extra.txt": []byte("x")}),
		"no manifest": rezip(t, pkg, func(name string, d []byte) []byte {
			return map[bool][]byte{true: nil, false: d}[name == "manifest.json"]
		}, nil),
		"manifest garbled": rezip(t, pkg, func(name string, d []byte) []byte {
			return map[bool][]byte{true: []byte("{"), false: d}[name == "manifest.json"]
		}, nil),
		"not a zip": []byte("PK but not really"),
		"truncated": pkg[:len(pkg)/2],
	}
	for name, bad := range cases {
		if _, err := Verify(bad); !errors.Is(err, ErrCorruptPackage) {
			t.Errorf("%s: %v, want ErrCorruptPackage", name, err)
		} else if bytes.Contains([]byte(err.Error()), []byte("Ada")) {
			t.Errorf("%s: the error holds package content", name)
		}
	}
}

// FuzzVerify feeds Verify arbitrary bytes and mutated packages: it must never panic,
// and whatever it accepts must be a zip whose every file is listed with its digest.
func FuzzVerify(f *testing.F) {
	pkg := builtSample(f)
	f.Add(pkg)
	f.Add(pkg[:len(pkg)-10])
	f.Add([]byte{})
	f.Add([]byte("PK\x05\x06" + string(make([]byte, 18))))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Verify(data)
		if err != nil {
			if !errors.Is(err, ErrCorruptPackage) {
				t.Fatalf("error does not match ErrCorruptPackage: %v", err)
			}
			return
		}
		zr, zerr := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if zerr != nil {
			t.Fatalf("accepted a non-zip: %v", zerr)
		}
		if len(zr.File) != len(m.Files)+1 {
			t.Fatalf("accepted %d entries for %d listed files", len(zr.File), len(m.Files))
		}
	})
}
