package api_test

import (
	"testing"

	"github.com/intercom-privacy/intercom-privacy/openapispec"
	"github.com/intercom-privacy/intercom-privacy/web/api"
)

// TestOpenAPIValidates: the embedded document is valid OpenAPI 3.
func TestOpenAPIValidates(t *testing.T) {
	if _, err := openapispec.LoadData("openapi.json", api.OpenAPI); err != nil {
		t.Fatal(err)
	}
}
