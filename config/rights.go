package config

import (
	"fmt"
	"strings"
)

// Rights configures how restriction and objection requests mark the person in
// Intercom. Every id is an Intercom id of the workspace (GET /tags,
// GET /subscription_types); an empty one is not used.
type Rights struct {
	// RestrictionTag is the tag put on the contacts of a person whose
	// processing is restricted (GDPR Art. 18), and taken off when the
	// restriction is lifted.
	RestrictionTag string `yaml:"restriction_tag"`
	// ObjectionTag is the tag put on the contacts of a person who objected to
	// direct marketing (GDPR Art. 21(2)).
	ObjectionTag string `yaml:"objection_tag"`
	// DoNotSellTag is the tag put on the contacts of a person who opted out of
	// the sale or sharing of their data (CCPA §1798.120) or limited the use of
	// their sensitive data (§1798.121).
	DoNotSellTag string `yaml:"do_not_sell_tag"`
	// MarketingSubscriptions are the subscription types a person is opted out
	// of when they object to marketing, opt out, or are restricted.
	MarketingSubscriptions []string `yaml:"marketing_subscriptions"`
}

func (c *Config) validateRights() error {
	check := func(field, id string) error {
		if id != "" && (len(id) > 64 || strings.TrimSpace(id) != id || strings.ContainsAny(id, "/?#@ ")) {
			return &Error{Field: "rights." + field, Err: fmt.Errorf("%w: not an Intercom id (the id from GET /tags or GET /subscription_types)", ErrInvalid)}
		}
		return nil
	}
	for f, id := range map[string]string{"restriction_tag": c.Rights.RestrictionTag, "objection_tag": c.Rights.ObjectionTag,
		"do_not_sell_tag": c.Rights.DoNotSellTag} {
		if err := check(f, id); err != nil {
			return err
		}
	}
	for i, id := range c.Rights.MarketingSubscriptions {
		if id == "" {
			return &Error{Field: fmt.Sprintf("rights.marketing_subscriptions[%d]", i), Err: fmt.Errorf("%w: empty id", ErrInvalid)}
		}
		if err := check(fmt.Sprintf("marketing_subscriptions[%d]", i), id); err != nil {
			return err
		}
	}
	return nil
}
