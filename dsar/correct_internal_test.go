package dsar

import (
	"slices"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/intercom"
)

// TestDiffers: a field is changed only when Intercom's value differs from the
// new one as Intercom compares it (email case, phone formatting, 3 vs 3.0, a
// cleared attribute absent or null).
func TestDiffers(t *testing.T) {
	c := intercom.Contact{Name: "Ann", Email: "Ann@Example.com", Phone: "+44 20 7946 0958",
		CustomAttributes: map[string]any{"seats": float64(3), "plan": "Pro", "gone": nil}}
	for _, tc := range []struct {
		f    intercom.ContactFields
		want []string
	}{
		{intercom.ContactFields{Name: intercom.Str("Ann"), Email: intercom.Str("ann@example.com"), Phone: intercom.Str("+442079460958")}, nil},
		{intercom.ContactFields{Name: intercom.Str("Anne"), Phone: intercom.Str("+44 20 7946 0959")}, []string{"name", "phone"}},
		{intercom.ContactFields{CustomAttributes: map[string]any{"seats": int64(3), "gone": nil, "missing": nil}}, nil},
		{intercom.ContactFields{CustomAttributes: map[string]any{"seats": int64(4), "plan": nil}}, []string{"custom_attributes.plan", "custom_attributes.seats"}},
		{intercom.ContactFields{Email: intercom.Str("")}, []string{"email"}},
	} {
		if got := differs(c, tc.f); !slices.Equal(got, tc.want) {
			t.Errorf("differs(%+v) = %v, want %v", tc.f, got, tc.want)
		}
	}
}
