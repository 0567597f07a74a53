package intercom

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestQueryLimits(t *testing.T) {
	many := make([]Query, 16)
	for i := range many {
		many[i] = Field("email").Eq("x")
	}
	ok := []Query{
		Field("email").Eq("a@b.c"),
		And(Field("a").Eq(1), Or(Field("b").In("x", "y"), Field("c").Gt(3))),
		Or(many[:15]...),
	}
	for i, q := range ok {
		if err := ValidateQuery(q); err != nil {
			t.Errorf("ok %d: %v", i, err)
		}
	}
	bad := []Query{
		nil,
		And(Field("a").Eq(1), Or(Field("b").Eq(2), And(Field("c").Eq(3)))), // 3 levels
		Or(many...),     // 16 filters
		And(),           // empty
		Field("").Eq(1), // no field
		Filter{Field: "a", Operator: "LIKE", Value: 1},
		Filter{Field: "a", Operator: "IN", Value: "x"},     // IN without a list
		Filter{Field: "a", Operator: "=", Value: []any{1}}, // list without IN
		Group{Operator: "XOR", Value: []Query{Field("a").Eq(1)}},
	}
	for i, q := range bad {
		if err := ValidateQuery(q); !errors.Is(err, ErrValidation) {
			t.Errorf("bad %d: want ErrValidation, got %v", i, err)
		}
	}
}

func TestQueryJSON(t *testing.T) {
	q := And(Field("custom_attributes.plan").Ne("free"), Field("created_at").Lt(1700000000), Field("id").NotIn("a", "b"),
		Field("name").Contains("an"), Field("name").NotContains("x"), Field("email").StartsWith("a"), Field("email").EndsWith(".fr"))
	b, err := json.Marshal(q)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"operator":"AND","value":[{"field":"custom_attributes.plan","operator":"!=","value":"free"},{"field":"created_at","operator":"\u003c","value":1700000000},{"field":"id","operator":"NIN","value":["a","b"]},{"field":"name","operator":"~","value":"an"},{"field":"name","operator":"!~","value":"x"},{"field":"email","operator":"^","value":"a"},{"field":"email","operator":"$","value":".fr"}]}`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
}

func TestInvalidSearchSendsNothing(t *testing.T) {
	f := newFake(t, nil)
	c := f.client(t)
	deep := And(Or(And(Field("a").Eq(1))))
	for _, err := range c.SearchConversations(ctx(t), deep, SearchOptions{}) {
		if !errors.Is(err, ErrValidation) {
			t.Fatal(err)
		}
	}
	for _, err := range c.SearchContacts(ctx(t), Field("a").Eq(1), SearchOptions{Sort: &Sort{Field: "x", Order: "up"}}) {
		if !errors.Is(err, ErrValidation) {
			t.Fatal(err)
		}
	}
	if f.count() != 0 {
		t.Fatal("sent an invalid search")
	}
}
