package pii

import "testing"

func TestQuickDebug(t *testing.T) {
	e, err := NewEngine(Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := NewRedactor(e, Policy{})
	for _, s := range []string{
		"contact jane.doe@example.com or mailto:bob@corp.co.uk",
		"git@github.com:org/repo.git pkg@1.2.3 user@10.0.0.1",
		"card 4111 1111 1111 1111 and 5500-0000-0000-0004 and 2221000000000009",
		"ssn 078-05-1120 real 536-22-1234, my ssn is 536221234",
		"ip 8.8.8.8 private 10.0.0.1 version 1.2.3.4 v1.2.3.4 2001:4860:4860::8888 fe80::1 12:30:45",
		"IBAN DE89 3704 0044 0532 0130 00 and GB82WEST12345698765432",
		"call +44 20 7946 0958 or (202) 555-0143 or 030 1234567 phone 0612345678",
		"NINO QQ123456C, AB 12 34 56 C; Steuer-ID 86095742719; NIR 1 84 12 76 451 089 46",
		"DNI 12345678Z NIE X1234567L CF RSSMRA85T10A562S BSN 111222333",
		"date of birth: 15/03/1985, born 1985-03-15, log at 2024-01-15T10:00:00Z",
		"password: hunter2! and forgot my password, password reset, my password is Sup3rS3cret",
		"https://user:s3cret@example.com/path?token=abc123&page=2 and https://x.io/?X-Amz-Signature=deadbeef",
		"key AKIAIOSFODNN7EXAMPLE jwt eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
		"-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY----- after",
		"xoxb-123456789012-1234567890123-abcdefghijklmnopqrstuvwx",
	} {
		fs := e.FindString(s, nil)
		t.Logf("%s\n  -> %s", s, r.RedactString(s, nil))
		for _, f := range fs {
			t.Logf("   %v %q %s", f.Type, s[f.Start:f.End], f.Validator)
		}
	}
}
