package vault

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestErrorsCarryNoSecrets drives every failure path it can and checks that no error
// message contains the master key (in any encoding), a plaintext, an identifier being
// indexed or a person key id.
func TestErrorsCarryNoSecrets(t *testing.T) {
	ctx := context.Background()
	masterText, err := GenerateMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(masterText)
	m, _ := ParseMasterKey(masterText)
	ks := &MemoryKeyStore{}
	if err := Init(ctx, ks, m); err != nil {
		t.Fatal(err)
	}
	v, err := Open(ctx, ks, m)
	if err != nil {
		t.Fatal(err)
	}
	const (
		plaintext = "grace.hopper@navy.example"
		personID  = "person-id-7f3a9c"
	)
	ct, err := v.Encrypt(ctx, personID, aadEmail, []byte(plaintext))
	if err != nil {
		t.Fatal(err)
	}
	other, otherText := newMaster(t)
	bad := bytes.Clone(ct)
	bad[len(bad)-1] ^= 1

	var errs []error
	add := func(_ any, err error) { errs = append(errs, err) }
	add(v.Decrypt(ctx, personID, AAD{"contacts", "email", "other-row"}, ct))
	add(v.Decrypt(ctx, personID, aadEmail, bad))
	add(v.Decrypt(ctx, "other-"+personID, aadEmail, ct))
	add(v.BlindIndex("bogus-kind", plaintext))
	add(v.BlindIndex(KindEmail, plaintext+"\xff"))
	add(v.SubjectRef(KindPhone, "no digits in "+plaintext))
	add(Open(ctx, ks, other))
	add(LoadMasterKey(masterText[:20], ""))
	add(LoadMasterKey(masterText+masterText, ""))
	add(LoadMasterKey(masterText, "/some/file"))
	add(ParseMasterKey(hex.EncodeToString(raw)))
	add(nil, Init(ctx, ks, other))
	pk, _ := ks.LoadPersonKey(ctx, personID)
	prev := slices.Clone(pk.Wrapped)
	pk.Wrapped[len(pk.Wrapped)-1] ^= 1
	_ = ks.UpdatePersonKey(ctx, pk, prev)
	fresh, _ := Open(ctx, ks, m)
	add(fresh.Decrypt(ctx, personID, aadEmail, ct))
	add(fresh.Rotate(ctx, nil, 10, nil))
	if _, err := v.DestroyPersonKey(ctx, nil, personID); err != nil {
		t.Fatal(err)
	}
	add(fresh.Decrypt(ctx, personID, aadEmail, ct))

	secrets := []string{
		masterText, strings.TrimRight(masterText, "="), hex.EncodeToString(raw), string(raw),
		otherText, plaintext, "grace.hopper", personID,
	}
	n := 0
	for _, err := range errs {
		if err == nil {
			continue
		}
		n++
		msg := err.Error()
		for _, s := range secrets {
			if strings.Contains(msg, s) {
				t.Errorf("error %q contains a secret or personal value", msg)
			}
		}
		if strings.Contains(msg, masterText[:12]) {
			t.Errorf("error %q contains part of the master key", msg)
		}
	}
	if n < 14 {
		t.Fatalf("only %d of the failure paths failed; the test lost its teeth", n)
	}
	if !errors.Is(errs[0], ErrDecrypt) {
		t.Fatalf("first error %v", errs[0])
	}
}
