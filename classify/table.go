package classify

import "sort"

// Shorthands for the table below.
var (
	sys    = Field{Class: ClassSystem}
	ident  = Field{Class: ClassIdentifier}
	text   = Field{Class: ClassContent}
	html   = Field{Class: ClassContent, HTML: true}
	custom = Field{Class: ClassCustomAttribute}
	nested = Field{Nested: true}
)

func personal(l Label) Field { return Field{Class: ClassPII, Label: l} }
func ref(k ObjectKind) Field { return Field{Ref: k} }
func timestamps(names ...string) map[string]Field {
	m := make(map[string]Field, len(names))
	for _, n := range names {
		m[n] = sys
	}
	return m
}

// merge returns the union of the maps; later maps win.
func merge(ms ...map[string]Field) map[string]Field {
	out := map[string]Field{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// tables holds the field table of each object kind, derived from the schemas
// of Intercom's OpenAPI description v2.16 (contact, company, conversation,
// conversation_part, conversation_source, ticket, ticket_part, note, tag,
// segment, subscription_type, data_event, data_export_csv, admin and the
// schemas they reference) plus the webhook notification envelope, which the
// description does not model. TestTableCoversOpenAPI keeps it complete.
//
// A leaf class on a field that holds an object or array applies to the
// whole subtree, except where a deeper path has its own entry.
var tables = [numKinds]map[string]Field{
	KindContact: merge(timestamps(
		"type", "role", "created_at", "updated_at", "signed_up_at", "last_seen_at",
		"last_replied_at", "last_contacted_at", "last_email_opened_at", "last_email_clicked_at",
		"has_hard_bounced", "marked_email_as_spam", "unsubscribed_from_emails",
		"language_override", "android_app_name", "android_last_seen_at", "ios_app_name",
		"ios_last_seen_at", "avatar.type", "location.type", "social_profiles.type",
		"social_profiles.data.type", "merge_history.type", "merge_history.merged_at",
		"merge_history.source_contact_role", "enabled_push_messaging",
	), map[string]Field{
		"id":                              ident,
		"workspace_id":                    ident,
		"external_id":                     ident,
		"owner_id":                        ident,
		"merge_history":                   nested,
		"merge_history.source_contact_id": ident,
		"email":                           personal(LabelEmail),

		"email_domain":        personal(LabelEmail),
		"phone":               personal(LabelPhone),
		"name":                personal(LabelName),
		"avatar":              personal(LabelURL),
		"social_profiles":     personal(LabelURL),
		"location":            personal(LabelLocation),
		"browser":             personal(LabelDevice),
		"browser_version":     personal(LabelDevice),
		"browser_language":    personal(LabelDevice),
		"os":                  personal(LabelDevice),
		"android_app_version": personal(LabelDevice),
		"android_device":      personal(LabelDevice),
		"android_os_version":  personal(LabelDevice),
		"android_sdk_version": personal(LabelDevice),
		"ios_app_version":     personal(LabelDevice),
		"ios_device":          personal(LabelDevice),
		"ios_os_version":      personal(LabelDevice),
		"ios_sdk_version":     personal(LabelDevice),
		"last_seen_ip":        personal(LabelIP),
		"ip":                  personal(LabelIP),
		"custom_attributes":   custom,
		"companies":           ref(KindAddressableList),
		"notes":               ref(KindAddressableList),
		"tags":                ref(KindAddressableList),
		"subscription_types":  ref(KindAddressableList),
		"segments":            ref(KindAddressableList),
	}),

	KindCompany: merge(timestamps(
		"type", "created_at", "updated_at", "remote_created_at", "last_request_at",
		"monthly_spend", "session_count", "size", "user_count", "notes.type", "plan.type",
		"segments.type", "tags.type", "industry",
	), map[string]Field{
		"id":                ident,
		"company_id":        ident,
		"app_id":            ident,
		"plan":              nested,
		"plan.id":           ident,
		"plan.name":         text,
		"name":              text, // a business name; scanned, as a sole trader's name is personal
		"website":           text,
		"custom_attributes": custom,
		"notes":             nested,
		"notes.notes":       ref(KindNote),
		"segments":          nested,
		"segments.segments": ref(KindSegment),
		"tags":              nested,
		"tags.tags":         ref(KindTag),
	}),

	KindConversation: merge(timestamps(
		"type", "created_at", "updated_at", "waiting_since", "snoozed_until", "open", "state",
		"read", "priority", "ai_agent_participated", "sales_agent_participated",
		"admin_assignee_id", "team_assignee_id", "channel", "statistics", "sla_applied",
		"contacts.type", "conversation_parts.type", "conversation_parts.total_count",
		"teammates.type", "tags.type", "linked_objects", "first_contact_reply.type",
		"first_contact_reply.created_at", "conversation_rating.rating",
		"conversation_rating.created_at", "conversation_rating.updated_at",
		"ai_agent.created_at", "ai_agent.updated_at", "ai_agent.last_answer_type",
		"ai_agent.rating", "ai_agent.resolution_state", "ai_agent.source_type",
		"ai_agent.content_sources", "sales_agent.outcome", "sales_agent.routing_outcome",
		"monitor_evaluations", "scorecards",
	), map[string]Field{
		"id":                                    ident,
		"title":                                 text,
		"source":                                ref(KindSource),
		"contacts":                              nested,
		"contacts.contacts":                     ref(KindContactReference),
		"teammates":                             nested,
		"teammates.teammates":                   ref(KindReference),
		"conversation_parts":                    nested,
		"conversation_parts.conversation_parts": ref(KindConversationPart),
		"tags":                                  nested,
		"tags.tags":                             ref(KindTag),
		"custom_attributes":                     custom,
		"company":                               ref(KindCompany),
		"external_references":                   ref(KindReference),
		"first_contact_reply":                   nested,
		"first_contact_reply.url":               personal(LabelURL),
		"conversation_rating":                   nested,
		"conversation_rating.remark":            text,
		"conversation_rating.contact":           ref(KindContactReference),
		"conversation_rating.teammate":          ref(KindReference),
		"ai_agent":                              nested,
		"ai_agent.rating_remark":                text,
		"ai_agent.source_title":                 text,
		"sales_agent":                           nested,
		"sales_agent.collected_data":            text, // what an agent collected from the person: scanned, keys checked
		"scorecards.evaluators":                 text,
		"scorecards.reviewed_teammate":          text,
		"monitor_evaluations.explanation":       text,
	}),

	KindConversationPart: merge(timestamps(
		"type", "part_type", "created_at", "updated_at", "notified_at", "redacted", "state",
		"app_package_code", "assigned_to.type", "event_details",
	), map[string]Field{
		"id":                                ident,
		"external_id":                       ident,
		"body":                              html,
		"author":                            ref(KindAuthor),
		"attachments":                       ref(KindAttachment),
		"assigned_to":                       ref(KindReference),
		"tags":                              ref(KindTag),
		"metadata":                          text,
		"email_message_metadata":            nested,
		"email_message_metadata.subject":    text,
		"email_message_metadata.message_id": ident,
		"email_message_metadata.email_address_headers": ref(KindEmailHeader),
		"event_details.attribute":                      text,
		"event_details.value":                          text,
		"event_details.workflow":                       sys,
		"event_details.action":                         sys,
		"event_details.event":                          sys,
	}),

	KindSource: merge(timestamps(
		"type", "delivered_as", "redacted", "recipients.type", "recipients.drop_reason",
	), map[string]Field{
		"id":                                ident,
		"subject":                           text,
		"body":                              html,
		"url":                               text, // the page the person wrote from; query strings can hold PII
		"author":                            ref(KindAuthor),
		"attachments":                       ref(KindAttachment),
		"recipients":                        nested,
		"recipients.email":                  personal(LabelEmail),
		"reply_to":                          nested,
		"reply_to.email":                    personal(LabelEmail),
		"reply_to.name":                     personal(LabelName),
		"email_message_metadata":            nested,
		"email_message_metadata.subject":    text,
		"email_message_metadata.history":    html,
		"email_message_metadata.message_id": ident,
		"email_message_metadata.email_address_headers": ref(KindEmailHeader),
	}),

	KindAuthor: merge(timestamps("type", "from_ai_agent", "is_ai_answer"), map[string]Field{
		"id":    ident,
		"email": personal(LabelEmail),
		"name":  personal(LabelName),
	}),

	KindNote: merge(timestamps("type", "created_at", "company.type", "contact.type"), map[string]Field{
		"id":         ident,
		"body":       html,
		"author":     ref(KindAdmin),
		"company":    nested,
		"company.id": ident,
		"contact":    nested,
		"contact.id": ident,
	}),

	KindTag: merge(timestamps("type", "applied_at"), map[string]Field{
		"id":         ident,
		"name":       text,
		"applied_by": ref(KindReference),
	}),

	KindSegment: merge(timestamps("type", "count", "created_at", "updated_at", "person_type"), map[string]Field{
		"id":   ident,
		"name": text,
	}),

	KindSubscription: merge(timestamps("type", "consent_type", "content_types", "state",
		"default_translation.locale", "translations.locale"), map[string]Field{
		"id":                              ident,
		"default_translation":             nested,
		"default_translation.name":        text,
		"default_translation.description": text,
		"translations":                    nested,
		"translations.name":               text,
		"translations.description":        text,
	}),

	KindTicket: merge(timestamps(
		"type", "category", "created_at", "updated_at", "snoozed_until", "open", "is_shared",
		"admin_assignee_id", "team_assignee_id", "contacts.type", "ticket_parts.type",
		"ticket_parts.total_count", "linked_objects",
	), map[string]Field{
		"id":                        ident,
		"ticket_id":                 ident,
		"previous_ticket_state_id":  ident,
		"contacts":                  nested,
		"contacts.contacts":         ref(KindContactReference),
		"ticket_attributes":         custom,
		"ticket_parts":              nested,
		"ticket_parts.ticket_parts": ref(KindTicketPart),
		"ticket_state":              ref(KindTicketState),
		"ticket_type":               ref(KindTicketType),
	}),

	KindTicketPart: merge(timestamps(
		"type", "part_type", "created_at", "updated_at", "redacted", "app_package_code",
		"previous_ticket_state", "ticket_state", "updated_attribute_data.attribute.type",
		"updated_attribute_data.value.type",
	), map[string]Field{
		"id":                                     ident,
		"external_id":                            ident,
		"body":                                   html,
		"author":                                 ref(KindAuthor),
		"attachments":                            ref(KindAttachment),
		"assigned_to":                            ref(KindReference),
		"updated_attribute_data":                 nested,
		"updated_attribute_data.attribute":       nested,
		"updated_attribute_data.attribute.id":    ident,
		"updated_attribute_data.attribute.label": text,
		"updated_attribute_data.value":           nested,
		"updated_attribute_data.value.id":        ident,
		"updated_attribute_data.value.label":     text,
	}),

	KindTicketType: merge(timestamps("type", "archived", "category", "created_at", "updated_at",
		"icon", "ticket_states.type", "ticket_type_attributes"), map[string]Field{
		"id":                 ident,
		"workspace_id":       ident,
		"name":               text,
		"description":        text,
		"ticket_states":      nested,
		"ticket_states.data": ref(KindTicketState),
	}),

	KindTicketState: merge(timestamps("type", "category"), map[string]Field{
		"id":             ident,
		"internal_label": text,
		"external_label": text,
	}),

	KindDataEvent: merge(timestamps("type", "created_at", "event_name"), map[string]Field{
		"id":               ident,
		"user_id":          ident,
		"intercom_user_id": ident,
		"email":            personal(LabelEmail),
		"metadata":         text,
	}),

	// The envelope of a webhook notification (Intercom's "notification_event").
	// data.item is classified by its own "type" field.
	KindWebhookNotification: merge(timestamps("type", "topic", "delivery_status",
		"delivery_attempts", "delivered_at", "first_sent_at", "created_at", "data.type"), map[string]Field{
		"id":        ident,
		"app_id":    ident,
		"self":      ident,
		"data":      nested,
		"data.item": ref(KindAuto),
		"links":     text,
	}),

	// Columns of the content data export CSV (schema data_export_csv).
	KindDataExportCSV: merge(timestamps("content_type", "received_at", "first_click",
		"first_completion", "first_dismisall", "first_goal_success", "first_hard_bounce",
		"first_open", "first_reply", "first_series_completion", "first_series_disengagement",
		"first_series_exit", "first_unsubscribe"), map[string]Field{
		"user_id":            ident,
		"user_external_id":   ident,
		"company_id":         ident,
		"content_id":         ident,
		"node_id":            ident,
		"receipt_id":         ident,
		"ruleset_id":         ident,
		"ruleset_version_id": ident,
		"series_id":          ident,
		"email":              personal(LabelEmail),
		"name":               personal(LabelName),
		"content_title":      text,
		"series_title":       text,
	}),

	KindAdmin: merge(timestamps("type", "away_mode_enabled", "away_mode_reassign",
		"away_status_reason_id", "has_inbox_seat", "role.type", "team_priority_level"), map[string]Field{
		"id":        ident,
		"team_ids":  ident,
		"role":      nested,
		"role.id":   ident,
		"role.name": text,
		"email":     personal(LabelEmail),
		"name":      personal(LabelName),
		"avatar":    personal(LabelURL),
		"job_title": text,
	}),

	KindContactReference: merge(timestamps("type"), map[string]Field{
		"id":          ident,
		"external_id": ident,
	}),

	KindReference: merge(timestamps("type"), map[string]Field{"id": ident}),

	KindAddressableList: merge(timestamps("type", "total_count", "has_more", "data.type"), map[string]Field{
		"url":      ident,
		"data":     nested,
		"data.id":  ident,
		"data.url": ident,
	}),

	KindAttachment: merge(timestamps("type", "content_type", "filesize", "height", "width"), map[string]Field{
		"name": text,
		"url":  text,
	}),

	KindEmailHeader: merge(timestamps("type"), map[string]Field{
		"email_address": personal(LabelEmail),
		"name":          personal(LabelName),
	}),
}

// autoKinds maps an Intercom "type" value to the kind that classifies it.
var autoKinds = map[string]ObjectKind{
	"contact":            KindContact,
	"user":               KindContact,
	"lead":               KindContact,
	"company":            KindCompany,
	"conversation":       KindConversation,
	"conversation_part":  KindConversationPart,
	"note":               KindNote,
	"tag":                KindTag,
	"segment":            KindSegment,
	"subscription":       KindSubscription,
	"subscription_type":  KindSubscription,
	"ticket":             KindTicket,
	"ticket_part":        KindTicketPart,
	"event":              KindDataEvent,
	"notification_event": KindWebhookNotification,
	"admin":              KindAdmin,
	"ticket_type":        KindTicketType,
	"ticket_state":       KindTicketState,
}

// Lookup returns the classification of the field at path (dotted, without
// array indices) of an object of the given kind, and whether the table has
// an entry for it or for an enclosing subtree. A field with no entry is
// Content: the table fails closed.
func Lookup(kind ObjectKind, path string) (Field, bool) {
	if kind >= numKinds {
		return Field{}, false
	}
	t := tables[kind]
	if f, ok := t[path]; ok {
		return f, true
	}
	// An enclosing subtree with a leaf class classifies everything below it.
	for i := len(path) - 1; i > 0; i-- {
		if path[i] != '.' {
			continue
		}
		if f, ok := t[path[:i]]; ok && !f.Nested {
			if f.Ref != KindGeneric {
				// Continue in the referenced kind's table.
				return Lookup(f.Ref, path[i+1:])
			}
			return f, true
		}
	}
	return Field{}, false
}

// Fields returns the table of kind, sorted by path.
func Fields(kind ObjectKind) []FieldInfo {
	if kind >= numKinds {
		return nil
	}
	out := make([]FieldInfo, 0, len(tables[kind]))
	for p, f := range tables[kind] {
		out = append(out, FieldInfo{Path: p, Field: f})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// Kinds returns every ObjectKind, in order.
func Kinds() []ObjectKind {
	out := make([]ObjectKind, numKinds)
	for i := range out {
		out[i] = ObjectKind(i)
	}
	return out
}
