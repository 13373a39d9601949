package widget

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func get(t *testing.T, h http.Handler, path string) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
	return w
}

func TestHandler_LoaderPointsAtTheHashedBundleWithShortAndLongCaching(t *testing.T) {
	h := newHandler(fstest.MapFS{"assets/widget-AbC123.js": {Data: []byte("console.log('chat')")}, ".gitkeep": {}})
	tests := []struct {
		path, cache, contains string
		status                int
	}{
		{"/widget/loader.js", cacheLoader, `"/widget/assets/widget-AbC123.js"`, 200},
		{"/widget/assets/widget-AbC123.js", cacheImmutable, "console.log", 200},
		{"/widget/assets/widget-old.js", "no-cache", "", 404},
		{"/widget/.gitkeep", "", "", 404},
		{"/widget/try/7", "no-cache", `data-loket-channel="7"`, 200},
		{"/widget/try/7x", "", "", 404},
		{"/widget/try/-1", "", "", 404},
	}
	for _, tt := range tests {
		w := get(t, h, tt.path)
		if w.Code != tt.status || w.Header().Get("Cache-Control") != tt.cache || !strings.Contains(w.Body.String(), tt.contains) {
			t.Errorf("%s: %d %q %q", tt.path, w.Code, w.Header().Get("Cache-Control"), w.Body.String())
		}
		if tt.status == 200 && w.Header().Get("Cross-Origin-Resource-Policy") != "cross-origin" {
			t.Errorf("%s: other sites may not load it", tt.path)
		}
	}
}

func TestHandler_UnbuiltWidgetSaysSoInTheConsole(t *testing.T) {
	w := get(t, newHandler(fstest.MapFS{".gitkeep": {}}), "/widget/loader.js")
	if w.Code != 200 || !strings.Contains(w.Body.String(), "console.warn") || !strings.Contains(w.Body.String(), "make web") {
		t.Fatalf("%d %s", w.Code, w.Body.String())
	}
}
