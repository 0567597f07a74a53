package vault

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestLoadMasterKey(t *testing.T) {
	raw := bytes.Repeat([]byte{0xfb}, 32) // encodes with '+'/'/' or '-'/'_'
	good := base64.StdEncoding.EncodeToString(raw)
	dir := t.TempDir()
	file := filepath.Join(dir, "master.key")
	if err := os.WriteFile(file, []byte(good+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, bytes.Repeat([]byte("A"), 5000), 0o600); err != nil {
		t.Fatal(err)
	}
	short := base64.StdEncoding.EncodeToString(raw[:16])
	long := base64.StdEncoding.EncodeToString(append(raw, raw...))

	for _, c := range []struct {
		name, value, file string
		want              error
		problem           string
	}{
		{"std", good, "", nil, ""},
		{"std with spaces", "  " + good + "\n", "", nil, ""},
		{"raw std", strings.TrimRight(good, "="), "", nil, ""},
		{"url", base64.URLEncoding.EncodeToString(raw), "", nil, ""},
		{"raw url", base64.RawURLEncoding.EncodeToString(raw), "", nil, ""},
		{"file", "", file, nil, ""},
		{"none", "", "", ErrNoMasterKey, ""},
		{"both", good, file, ErrInvalidMasterKey, "set only one"},
		{"short", short, "", ErrInvalidMasterKey, "16 bytes"},
		{"long", long, "", ErrInvalidMasterKey, "64 bytes"},
		{"not base64", "this is not base64!", "", ErrInvalidMasterKey, "not valid base64"},
		{"hex", strings.Repeat("ab", 32), "", ErrInvalidMasterKey, "48 bytes"},
		{"blank", "   ", "", ErrInvalidMasterKey, "empty"},
		{"missing file", "", filepath.Join(dir, "absent"), fs.ErrNotExist, "cannot be opened"},
		{"big file", "", big, ErrInvalidMasterKey, "larger than"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := LoadMasterKey(c.value, c.file)
			if c.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				// The key works and equals the one from the raw bytes.
				ref, _ := NewLocalMasterKey(raw)
				ct, err := m.Encrypt([]byte("x"), []byte("ad"))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := ref.Decrypt(ct, []byte("ad")); err != nil {
					t.Fatal("decoded key differs from the raw key")
				}
				return
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			msg := err.Error()
			if !strings.Contains(msg, c.problem) {
				t.Errorf("error %q does not say %q", msg, c.problem)
			}
			if !strings.Contains(msg, "generate") || !strings.Contains(msg, "openssl rand -base64 32") {
				t.Errorf("error %q does not say how to generate a key", msg)
			}
			if strings.TrimSpace(c.value) != "" && strings.Contains(msg, strings.TrimSpace(c.value)) {
				t.Errorf("error echoes the configured value: %q", msg)
			}
			if c.value == "" && c.file == "" && (!strings.Contains(msg, EnvMasterKey) || !strings.Contains(msg, EnvMasterKeyFile)) {
				t.Errorf("error %q does not say what to set", msg)
			}
		})
	}
}

func TestMasterKeyFromEnv(t *testing.T) {
	t.Setenv(EnvMasterKey, "")
	t.Setenv(EnvMasterKeyFile, "")
	if _, err := MasterKeyFromEnv(); !errors.Is(err, ErrNoMasterKey) {
		t.Fatalf("unset: %v", err)
	}
	t.Setenv(EnvMasterKey, testMasterText)
	if _, err := MasterKeyFromEnv(); err != nil {
		t.Fatal(err)
	}
}

func TestGenerateMasterKey(t *testing.T) {
	a, err := GenerateMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := GenerateMasterKey()
	if a == b {
		t.Fatal("two generated keys are equal")
	}
	raw, err := base64.StdEncoding.DecodeString(a)
	if err != nil || len(raw) != 32 {
		t.Fatalf("generated key: %d bytes, %v", len(raw), err)
	}
	if _, err := ParseMasterKey(a); err != nil {
		t.Fatal(err)
	}
	if _, err := NewLocalMasterKey(raw[:31]); !errors.Is(err, ErrInvalidMasterKey) {
		t.Fatalf("31 raw bytes: %v", err)
	}
}

var problemRE = regexp.MustCompile(`^(it is empty|it is not valid base64|it decodes to \d+ bytes, not 32)$`)

func FuzzParseMasterKey(f *testing.F) {
	f.Add(testMasterText)
	f.Add("")
	f.Add("====")
	f.Add(strings.Repeat("A", 43))
	f.Add(strings.Repeat("A", 44))
	f.Add("\x00\xff")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMasterKey(s)
		if err != nil {
			if m != nil {
				t.Fatal("key and error both returned")
			}
			if !errors.Is(err, ErrInvalidMasterKey) {
				t.Fatalf("untyped error %v", err)
			}
			// The message is built from a fixed set of problems and never from the
			// input: check its structure rather than search for the input in it.
			var mk *MasterKeyError
			if !errors.As(err, &mk) || mk.Err != nil || !problemRE.MatchString(mk.Problem) || mk.Source != EnvMasterKey {
				t.Fatalf("unexpected error shape %#v", err)
			}
			return
		}
		ct, err := m.Encrypt([]byte("p"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if pt, err := m.Decrypt(ct, nil); err != nil || string(pt) != "p" {
			t.Fatal("round trip failed")
		}
	})
}
