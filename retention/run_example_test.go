package retention_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/retention"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// A retention run over a store holding one stale and one fresh cached
// contact, with the policy read from the configuration file's sections.
func ExampleRunner_Run() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "retention-example")
	defer os.RemoveAll(dir)
	key, _ := vault.GenerateMasterKey()
	master, _ := vault.ParseMasterKey(key)
	cfg, err := config.Parse("intercom-privacy.yaml", strings.NewReader("retention:\n  contact_cache: 14d\n"))
	if err != nil {
		fmt.Println(err)
		return
	}
	a, err := app.Open(ctx, app.Settings{DatabaseURL: "sqlite://" + filepath.Join(dir, "example.db"),
		MasterKey: master, InitKeys: true, Config: cfg, Actor: "example"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer a.Close()
	now := time.Date(2026, 6, 15, 3, 0, 0, 0, time.UTC)
	_ = a.Store.UpsertContact(ctx, store.CachedContact{IntercomID: "stale", PersonKeyID: "k1", Role: "user", CreatedAt: now.AddDate(0, 0, -15)})
	_ = a.Store.UpsertContact(ctx, store.CachedContact{IntercomID: "fresh", PersonKeyID: "k2", Role: "user", CreatedAt: now.AddDate(0, 0, -13)})

	p, err := retention.FromConfig(a.Config)
	if err != nil {
		fmt.Println(err)
		return
	}
	r := &retention.Runner{Store: a.Store, Chain: a.Chain, Vault: a.Vault, Actor: "example"}
	res, err := r.Run(ctx, p, retention.RunOptions{Now: now})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range res.Categories {
		if c.Note != "" {
			fmt.Printf("%s: %s\n", c.Category, c.Note)
			continue
		}
		fmt.Printf("%s (%s): %d deleted\n", c.Category, c.Age, c.Deleted)
	}
	fmt.Println("state:", res.State)
	// Output:
	// contact_cache (14d): 1 deleted
	// conversation_cache (90d): 0 deleted
	// webhook_events (30d): 0 deleted
	// export_files (7d): 0 deleted
	// access_packages (7d): 0 deleted
	// audit: never removed automatically (legal minimum 24 months)
	// request_records (24mo): 0 deleted
	// suppression_list: off: not removed automatically
	// state: done
}
