package intercom_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/intercom-privacy/intercom-privacy/intercom"
)

// Find every contact of a person by e-mail, then their conversations, and tell a
// merged contact from a missing one.
func Example() {
	c, err := intercom.New(intercom.ConfigFromEnv()) // INTERCOM_ACCESS_TOKEN, INTERCOM_API_URL, ...
	if err != nil {
		log.Fatal(err) // never contains the token
	}
	ctx := context.Background()
	q := intercom.Field("email").Eq("ann@example.com")
	for contact, err := range c.SearchContacts(ctx, q, intercom.SearchOptions{}) {
		if err != nil {
			log.Fatal(err)
		}
		convs := c.SearchConversations(ctx, intercom.Field("contact_ids").Eq(string(contact.ID)), intercom.SearchOptions{})
		for conv, err := range convs {
			if err != nil {
				log.Fatal(err)
			}
			full, err := c.GetConversation(ctx, string(conv.ID), intercom.GetConversationOptions{})
			if err != nil {
				log.Fatal(err)
			}
			fmt.Println(len(full.ConversationParts.ConversationParts), "parts")
		}
	}
	_, err = c.GetContact(ctx, "5f7f0d217289f8d2f4262080")
	var merged *intercom.MergedError
	switch {
	case errors.As(err, &merged):
		fmt.Println("merged into", merged.CanonicalID)
	case errors.Is(err, intercom.ErrNotFound):
		fmt.Println("deleted, archived, or unknown")
	}
}

// Build a search query; the client refuses queries Intercom would reject (more than
// two levels of groups, more than 15 filters in a group) before sending them.
func ExampleAnd() {
	q := intercom.And(
		intercom.Field("role").Eq("user"),
		intercom.Or(intercom.Field("email").EndsWith("@example.com"), intercom.Field("external_id").In("u1", "u2")),
	)
	fmt.Println(intercom.ValidateQuery(q))
	tooDeep := intercom.And(intercom.Or(intercom.And(intercom.Field("a").Eq(1))))
	fmt.Println(errors.Is(intercom.ValidateQuery(tooDeep), intercom.ErrValidation))
	// Output:
	// <nil>
	// true
}
