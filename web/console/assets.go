package console

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"net/http"
	"path"
	"strings"
)

//go:embed assets/*.css assets/*.js
var assetFS embed.FS

// assetPrefix is where the console's static files are served.
const assetPrefix = "/assets/"

// asset is one embedded file, served under a name carrying its digest
// (console.3f2a….css), so that it may be cached for a year: a new build with
// another stylesheet has another name.
type asset struct {
	name, contentType string
	body              []byte
}

// assetSet maps the served names to the files, and a file's plain name to
// its served URL.
type assetSet struct {
	byServed map[string]asset
	url      map[string]string
}

func loadAssets() (*assetSet, error) {
	entries, err := assetFS.ReadDir("assets")
	if err != nil {
		return nil, err
	}
	s := &assetSet{byServed: map[string]asset{}, url: map[string]string{}}
	for _, e := range entries {
		body, err := assetFS.ReadFile("assets/" + e.Name())
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(body)
		ext := path.Ext(e.Name())
		served := strings.TrimSuffix(e.Name(), ext) + "." + hex.EncodeToString(sum[:6]) + ext
		ct := map[string]string{".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}[ext]
		if ct == "" {
			return nil, fmt.Errorf("%w: asset %s has no content type", ErrConfig, e.Name())
		}
		s.byServed[served] = asset{name: e.Name(), contentType: ct, body: body}
		s.url[e.Name()] = assetPrefix + served
	}
	return s, nil
}

// asset serves an embedded file by its digest-carrying name; it is public
// (the sign-in page uses the stylesheet too) and cached for a year.
func (h *Handler) asset(w http.ResponseWriter, r *http.Request) {
	a, ok := h.assets.byServed[r.PathValue("name")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", a.contentType)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	_, _ = w.Write(a.body)
}

// StylesheetURL is the served address of the console's stylesheet, for the
// sign-in pages that share its look.
func (h *Handler) StylesheetURL() string { return h.assets.url["console.css"] }
